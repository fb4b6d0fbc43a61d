/**
 * The selftest mock's test port (IOMMU_TEST_CMD, CONFIG_IOMMUFD_TEST), kept apart from the uAPI rules: only a kernel
 * built for the selftests has it, which a world says by its `selftest-mock` profile. MOCK_ADD_RESERVED reserves an
 * IOVA range of an IOAS for good, as a device's reserved region would, but owned by nobody: no detach lifts it.
 * @see drivers/iommu/iommufd/selftest.c iommufd_test_add_reserved, io_pagetable.c iopt_reserve_iova
 */
import { hasTestPort, type EnvMockAddReserved } from '../uapi/index.js';
import { lastOf, overlaps } from './ranges.js';
import { commit, reject, type Outcome } from './rule.js';
import { fileOfFd, keyOf, lookup, type State } from './state.js';

/** MOCK_ADD_RESERVED. Order: the ioctl reaches /dev/iommu's test port, then length, overflow, lookup, overlap. */
export function mockAddReserved(s: State, c: EnvMockAddReserved): Outcome {
  const f = fileOfFd(s, c.fd);
  if (!f) return reject('EBADF', 'MOCK_ADD_RESERVED.EBADF.fd');
  // IOMMU_TEST_CMD exists only on /dev/iommu of a CONFIG_IOMMUFD_TEST kernel
  if (f.kind !== 'iommufd' || !hasTestPort(s.world)) return reject('ENOTTY', 'MOCK_ADD_RESERVED.ENOTTY.no_test_port');
  if (c.length === 0n) return reject('EINVAL', 'MOCK_ADD_RESERVED.EINVAL.length');
  const last = lastOf(c.start, c.length);
  if (last === null) return reject('EOVERFLOW', 'MOCK_ADD_RESERVED.EOVERFLOW.wrap');
  const ioas = lookup(s, f.key, c.ioas_id, 'ioas');
  if (!ioas) return reject('ENOENT', 'MOCK_ADD_RESERVED.ENOENT.ioas');
  const r = { start: c.start, last };
  // iopt_reserve_iova: no area and no allowed range may lie there
  if (ioas.areas.some((a) => overlaps(a, r)) || ioas.allowed.some((a) => overlaps(a, r))) return reject('EADDRINUSE', 'MOCK_ADD_RESERVED.EADDRINUSE.in_use');
  return commit(s, 'MOCK_ADD_RESERVED.ok', (d) => {
    const o = d.objects[keyOf(ioas)];
    if (o?.kind === 'ioas') o.testReserved.push(r);
    return {};
  });
}
