/**
 * The C definitions an exported program carries (src/check/c-uapi.ts), held to the real headers' values: a probe
 * program prints what the compiler makes of them, and a table written by hand from the headers
 * (properties/support/c-uapi-table.ts, each group citing its source) says what each must be. The same table is held
 * to a built Linux 6.12's own installed headers by npm run test:kernel (properties/kernel/export-c.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IOMMUFD_UAPI, TEST_PORT_UAPI, VFIO_CDEV_UAPI } from '../src/check/c-uapi.js';
import { disagreements, NEWEST, OURS, probeSource, runProbe } from './support/c-uapi-table.js';

const noGcc = spawnSync('gcc', ['--version']).status === 0 ? null : 'gcc is not on PATH';

describe.skipIf(noGcc !== null)(`the C uAPI of exported programs${noGcc ? ` (skipped: ${noGcc})` : ''}`, () => {
  it('IOMMUFD_UAPI, VFIO_CDEV_UAPI and TEST_PORT_UAPI compile with -Wall -Werror and give every size, offset and value of the table', () => {
    expect(disagreements(NEWEST, runProbe(probeSource(OURS, NEWEST)))).toEqual([]);
  });

  it('a member of another type is reported by name: iommu_ioas_map.flags made __u64', () => {
    const mutant = IOMMUFD_UAPI.replace(/(struct iommu_ioas_map \{\n\t__u32 size;\n\t)__u32 flags;/, '$1__u64 flags;');
    expect(mutant).not.toBe(IOMMUFD_UAPI);
    const wrong = disagreements(NEWEST, runProbe(probeSource(`${mutant}\n${VFIO_CDEV_UAPI}\n${TEST_PORT_UAPI}`, NEWEST)));
    expect(wrong).toContain('iommu_ioas_map.flags: offset 8, sizeof 8 in the C; offset 4, sizeof 4 in the table');
    expect(wrong).toContain('iommu_ioas_map: sizeof 48 in the C; sizeof 40 in the table');
    // nothing but that struct moved
    expect(wrong.filter((w) => !w.startsWith('iommu_ioas_map'))).toEqual([]);
  });
});
