/**
 * The change clock: every structure a checker observes (the fd table, an object table, a device's routes, the
 * pinned pages, a page table, the IOTLB, a context entry, guest memory) records the next tick when it changes,
 * where it changes — not in the ioctl handlers, so a handler that changes the wrong thing still says so. A checker
 * reads the clock before a step and afterwards asks which structures carry a later tick: what the step touched.
 * One clock for every simulated kernel, only ever increasing: kernels that run in turn make it say more, never less.
 */
let now = 0;

/** The next tick (a structure that changes records it). */
export const tick = (): number => ++now;

/** The last tick handed out (a checker reads it before a step). */
export const clock = (): number => now;
