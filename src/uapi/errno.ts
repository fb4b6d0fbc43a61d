/**
 * The errno vocabulary shared by the spec and the simulated kernel, as in the kernel's uapi contract
 * (include/uapi/linux/iommufd.h "common errnos" plus the VFIO cdev ones). A trace prints `EBUSY`, never 16.
 */
export const ERRNOS = [
  'EPERM', 'ENOENT', 'EBADF', 'ENOMEM', 'EFAULT', 'EBUSY', 'EEXIST', 'ENODEV', 'EINVAL', 'ENOTTY',
  'ENOSPC', 'E2BIG', 'EOVERFLOW', 'EBADFD', 'EMSGSIZE', 'EOPNOTSUPP', 'EADDRINUSE',
] as const;

export type Errno = (typeof ERRNOS)[number];

export function isErrno(x: unknown): x is Errno {
  return typeof x === 'string' && (ERRNOS as readonly string[]).includes(x);
}
