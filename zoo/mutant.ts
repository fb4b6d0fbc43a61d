/**
 * A zoo mutant: one small edit of the simulated kernel (src/impl/) that re-creates the class of a real iommufd
 * bug, cited by the upstream fix that removed it. A mutant is applied to a copy of src/ (never to shipped code):
 * `find` must occur exactly once in `file`, so a mutant that no longer applies is reported, not silently skipped.
 */
export const BUG_CLASSES = [
  'lifetime/refcount', 'error-unwind', 'arithmetic/overflow', 'ownership/isolation', 'iotlb/invalidation',
  'accounting', 'uapi-validation',
] as const;
export type BugClass = (typeof BUG_CLASSES)[number];

export interface Mutant {
  /** a short stable slug: the file name without its number */
  readonly id: string;
  /** what the mutant breaks, in one line a kernel engineer would write */
  readonly title: string;
  readonly class: BugClass;
  /** the real fix whose class it re-creates: upstream commit id (12+ hex digits) and subject */
  readonly fix: { readonly commit: string; readonly subject: string };
  /** how the mutant relates to that fix, where it is not the same code */
  readonly note?: string;
  /** the file of src/impl/ it edits, and the exact text it replaces */
  readonly file: string;
  readonly find: string;
  readonly replace: string;
  /** designs whose kernel runs the edited code (default: every design) */
  readonly designs?: readonly string[];
  /** written reason when the default budget is known not to catch it */
  readonly miss?: string;
}

/** Apply a mutant to the text of its file; a reason when it does not apply exactly once. */
export function applyMutant(m: Mutant, text: string): { text: string } | { error: string } {
  const n = text.split(m.find).length - 1;
  if (n !== 1) return { error: `${m.id}: the text to replace occurs ${n} times in ${m.file} (must be once)` };
  if (m.find === m.replace) return { error: `${m.id}: find and replace are the same` };
  return { text: text.replace(m.find, () => m.replace) };
}
