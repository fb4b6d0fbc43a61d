/**
 * A design variant: RFC v1 where devices may be associated only at set-up, before the FD's first map or bind.
 * `explore --design-file examples/explore/rfc-v1-frozen.ts` adds it to the matrix as a column of its own.
 * A variant extends a built-in design and overrides policy points (docs/designing.md); anything the explorer
 * cannot build calls for is refused with one line.
 */
import type { Policy } from '../../src/spec/index.js';

const policy: Partial<Policy> = { association: 'setup-only' };

export default {
  extends: 'rfc-v1',
  name: 'rfc-v1-frozen',
  title: 'RFC v1, devices associated at set-up only',
  rationale: 'What Yi\'s first concern (M3) fears: the ioasid FD and device association happens only in the set-up phase.',
  policy,
};
