/**
 * IOMMU_OPTION as iommufd_option dispatches it: RLIMIT_MODE on the context (iommufd_option_rlimit_mode), HUGE_PAGES
 * on one IOAS (iommufd_ioas_option). The calling process is privileged (CAP_SYS_RESOURCE): SET is never EPERM here.
 */
import { fail, ok, type IommuOption, type Result } from '../uapi/index.js';
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { IoasObj } from './objects.js';

const GET = 1;
const SET = 0;

function rlimitMode(f: IommufdFile, c: IommuOption): Result<unknown> {
  if (c.object_id !== 0) return fail('EOPNOTSUPP');
  if (c.op === GET) return ok({ val64: f.accountMm ? 1n : 0n });
  if (c.op !== SET) return fail('EOPNOTSUPP');
  if (f.table.values().length > 0) return fail('EBUSY'); // xa_empty(&ictx->objects), under its lock
  if (c.val64 !== 0n && c.val64 !== 1n) return fail('EINVAL');
  f.accountMm = c.val64 === 1n;
  return ok({ val64: c.val64 });
}

function hugePages(f: IommufdFile, c: IommuOption): Result<unknown> {
  const ioas = f.table.getKind(c.object_id, IoasObj);
  if (!ioas) return fail('ENOENT');
  if (c.op === GET) return ok({ val64: ioas.iopt.disableLargePages ? 0n : 1n });
  if (c.op !== SET) return fail('EOPNOTSUPP');
  if (c.val64 === 0n) {
    const bad = ioas.iopt.disableLarge();
    return bad ? fail(bad) : ok({ val64: 0n });
  }
  if (c.val64 !== 1n) return fail('EINVAL');
  ioas.iopt.disableLargePages = false; // iopt_enable_large_pages: the alignment can only fall
  return ok({ val64: 1n });
}

export function option(_k: Kernel, f: IommufdFile, c: IommuOption): Result<unknown> {
  if (c.__reserved !== 0) return fail('EOPNOTSUPP');
  switch (c.option_id) {
    case 0:
      return rlimitMode(f, c);
    case 1:
      return hugePages(f, c);
    default:
      return fail('EOPNOTSUPP');
  }
}
