// ioasid-lab export --format vitest counterexamples/differential/13e40d5ed6.json (export again rather than edit)
// 10 steps: OPEN, OPEN, MMAP, IOMMU_IOAS_ALLOC, VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_MAP, IOMMU_IOAS_ALLOC, IOMMU_IOAS_MAP, IOMMU_IOAS_COPY, VFIO_DEVICE_ATTACH_IOMMUFD_PT
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "memlockPages": 12,
  "origin": {
    "kind": "check",
    "seed": 7,
    "minimality": "1-minimal"
  },
  "verdict": {
    "property": "differential",
    "step": 10,
    "message": "the spec ordered the pages a new domain pins by their IOVA in any IOAS and answered ENOMEM; the kernel fills the new domain's own areas in IOVA order and fails the first (not mmapped) with EFAULT",
    "status": "fixed"
  },
  "steps": [
    {
      "cmd": {
        "env": "OPEN",
        "path": "/dev/iommu"
      },
      "bind": {
        "fd": "$fd1"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "env": "OPEN",
        "path": "/dev/vfio/devices/vfio0"
      },
      "bind": {
        "fd": "$fd2"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "env": "MMAP",
        "uva": "0x100000",
        "length": "0x10000"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_ALLOC",
        "fd": "$fd1",
        "flags": 0
      },
      "bind": {
        "out_ioas_id": "$ioas1"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_DEVICE_BIND_IOMMUFD",
        "fd": "$fd2",
        "flags": 0,
        "iommufd": "$fd1"
      },
      "bind": {
        "out_devid": "$dev1"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_MAP",
        "fd": "$fd1",
        "flags": 7,
        "ioas_id": "$ioas1",
        "__reserved": 0,
        "user_va": "0x100000",
        "length": "0x10000",
        "iova": "0x0"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_ALLOC",
        "fd": "$fd1",
        "flags": 0
      },
      "bind": {
        "out_ioas_id": "$ioas2"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_MAP",
        "fd": "$fd1",
        "flags": 6,
        "ioas_id": "$ioas2",
        "__reserved": 0,
        "user_va": "0x0",
        "length": "0x1000",
        "iova": "0x0"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_COPY",
        "fd": "$fd1",
        "flags": 6,
        "dst_ioas_id": "$ioas2",
        "src_ioas_id": "$ioas1",
        "length": "0x1000",
        "dst_iova": "0x0",
        "src_iova": "0x0"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
        "fd": "$fd2",
        "flags": 0,
        "pt_id": "$ioas2",
        "pasid": 0
      },
      "expect": "EFAULT"
    }
  ]
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/differential/13e40d5ed6.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/differential/13e40d5ed6.json: iommufd on host-pasid-table (once differential, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio0 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: MMAP uva=0x100000 len=64K -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1 -> ok", () => expect(problems(5)).toEqual([]));
  it("step 6: IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x0 len=64K user_va=0x100000 RW FIXED -> ok", () => expect(problems(6)).toEqual([]));
  it("step 7: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(7)).toEqual([]));
  it("step 8: IOMMU_IOAS_MAP $fd1 ioas=$ioas2 len=4K user_va=0x0 RW -> ok", () => expect(problems(8)).toEqual([]));
  it("step 9: IOMMU_IOAS_COPY $fd1 dst=$ioas2 src=$ioas1 src_iova=0x0 len=4K RW -> ok", () => expect(problems(9)).toEqual([]));
  it("step 10: VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas2 -> EFAULT", () => expect(problems(10)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
