/**
 * The test port of a CONFIG_IOMMUFD_TEST kernel (IOMMU_TEST_CMD on /dev/iommu), kept out of the main paths: only a
 * world whose IOMMU is the selftest mock has it. IOMMU_TEST_OP_ADD_RESERVED reserves an IOVA range with no owner,
 * so nothing but the IOAS's destruction lifts it.
 * @see drivers/iommu/iommufd/selftest.c iommufd_test_add_reserved
 */
import { U64_MAX, fail, hasTestPort, ok, type EnvMockAddReserved, type Result } from '../uapi/index.js';
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { IoasObj } from './objects.js';

export function mockAddReserved(k: Kernel, c: EnvMockAddReserved): Result<unknown> {
  const f = k.fds.get(c.fd);
  if (!f) return fail('EBADF');
  if (f.kind !== 'iommufd' || !hasTestPort(k.world)) return fail('ENOTTY'); // no IOMMU_TEST_CMD
  if (c.length === 0n) return fail('EINVAL');
  const last = c.start + c.length - 1n;
  if (last > U64_MAX) return fail('EOVERFLOW'); // check_add_overflow(start, length - 1, &last)
  const ioas = (f as IommufdFile).table.getKind(c.ioas_id, IoasObj); // kind 'iommufd' is an IommufdFile
  if (!ioas) return fail('ENOENT');
  const bad = ioas.iopt.reserve('selftest', [{ start: c.start, last }]);
  return bad ? fail(bad) : ok({});
}
