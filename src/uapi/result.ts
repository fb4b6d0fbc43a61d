import type { Errno } from './errno.js';

/** An ioctl's answer: a value or an errno. A rejected call is a value, never an exception. */
export type Result<Out> = { readonly ok: true; readonly out: Out } | { readonly ok: false; readonly errno: Errno; readonly out?: Out };

export const ok = <Out>(out: Out): Result<Out> => ({ ok: true, out });
export const fail = (errno: Errno): Result<never> => ({ ok: false, errno });
