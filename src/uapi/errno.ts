/**
 * The errno vocabulary shared by the spec and the simulated kernel, as in the kernel's uapi contract
 * (include/uapi/linux/iommufd.h "common errnos" plus the VFIO cdev ones), and the further errnos Linux itself may
 * answer when a trace runs on it (src/kernel/). A trace prints `EBUSY`, never 16.
 */
export const ERRNOS = [
  'EPERM', 'ENOENT', 'EBADF', 'ENOMEM', 'EFAULT', 'EBUSY', 'EEXIST', 'ENODEV', 'EINVAL', 'ENOTTY',
  'ENOSPC', 'E2BIG', 'EOVERFLOW', 'EBADFD', 'EMSGSIZE', 'EOPNOTSUPP', 'EADDRINUSE',
  'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'EAGAIN', 'EACCES', 'EMFILE', 'ERANGE', 'ENOSYS', 'ENODATA', 'ETIMEDOUT', 'ESPIPE',
] as const;

export type Errno = (typeof ERRNOS)[number];

export function isErrno(x: unknown): x is Errno {
  return typeof x === 'string' && (ERRNOS as readonly string[]).includes(x);
}

/** The numbers Linux gives them on x86-64 (include/uapi/asm-generic/errno-base.h, errno.h). */
export const ERRNO_NUMBERS: { readonly [E in Errno]: number } = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, EMFILE: 24, ENOTTY: 25, ENOSPC: 28, ERANGE: 34, ENOSYS: 38,
  ENODATA: 61, EOVERFLOW: 75, EBADFD: 77, EMSGSIZE: 90, EOPNOTSUPP: 95, EADDRINUSE: 98, ETIMEDOUT: 110, ESPIPE: 29,
};

/** The errno Linux means by `n`, or null when it is none of the vocabulary. */
export function errnoOf(n: number): Errno | null {
  for (const e of ERRNOS) if (ERRNO_NUMBERS[e] === n) return e;
  return null;
}
