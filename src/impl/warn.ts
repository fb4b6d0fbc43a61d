/**
 * The simulated kernel's WARN_ON: an internal consistency failure (a refcount that underflows, objects still
 * referenced at release, an unpin of unpinned pages). The kernel prints a splat and, under panic_on_warn (as
 * syzkaller runs it), stops; here it is thrown as a typed value that the check engine reports as property P-WARN
 * (shrunk and saved like any other finding). Never an errno a user can cause: a WARN is always a kernel bug.
 */
export class KernelWarn extends Error {
  override readonly name = 'KernelWarn';
  /** `where`: the kernel function whose check fired (iopt_table_remove_domain, refcount_dec, ...) */
  constructor(readonly where: string, readonly what: string) {
    super(`WARNING in ${where}: ${what}`);
  }
}

/** WARN_ON(cond): throws a KernelWarn when `cond` holds. */
export function WARN_ON(cond: boolean, where: string, what: () => string): void {
  if (cond) throw new KernelWarn(where, what());
}
