// ioasid-lab export --format vitest counterexamples/P-ATOMIC/774f68e113.json (export again rather than edit)
// 8 steps: OPEN, OPEN, MMAP, VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_ALLOC, IOMMU_IOAS_MAP, IOMMU_IOAS_MAP, VFIO_DEVICE_ATTACH_IOMMUFD_PT
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "memlockPages": 24,
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "88:16:6:3:3:3:3:3:3:3:3:3:3:3:3:4:4:4:4:4:4:4:4",
    "runs": 89,
    "shrinks": 22,
    "minimality": "1-minimal"
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
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "fd": 3
          }
        },
        "rule": "OPEN.ok.ioasid_fd"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "fd": 3
          }
        }
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
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "fd": 4
          }
        },
        "rule": "OPEN.ok.device"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "fd": 4
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "env": "MMAP",
        "uva": "0x100000",
        "length": "0x1000"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {}
        },
        "rule": "MMAP.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {}
        }
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
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "out_devid": 1
          }
        },
        "rule": "BIND_IOMMUFD.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_devid": 1
          }
        }
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
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "out_ioas_id": 2
          }
        },
        "rule": "IOAS_ALLOC.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_ioas_id": 2
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_MAP",
        "fd": "$fd1",
        "flags": 6,
        "ioas_id": "$ioas1",
        "__reserved": 0,
        "user_va": "0x100000",
        "length": "0x1000",
        "iova": "0x0"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "iova": "0x1000"
          }
        },
        "rule": "IOAS_MAP.ok.auto_iova"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "iova": "0x1000"
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_MAP",
        "fd": "$fd1",
        "flags": 6,
        "ioas_id": "$ioas1",
        "__reserved": 0,
        "user_va": "0x0",
        "length": "0x1000",
        "iova": "0x0"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "iova": "0x2000"
          }
        },
        "rule": "IOAS_MAP.ok.auto_iova"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "iova": "0x2000"
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
        "fd": "$fd2",
        "flags": 0,
        "pt_id": "$ioas1",
        "pasid": 0
      },
      "bind": {
        "pt_id": "$hwpt1"
      },
      "spec": {
        "result": {
          "ok": false,
          "errno": "EFAULT"
        },
        "rule": "ATTACH_PT.EFAULT.pin"
      },
      "impl": {
        "result": {
          "ok": false,
          "errno": "EFAULT"
        }
      },
      "expect": "EFAULT"
    }
  ],
  "verdict": {
    "property": "P-ATOMIC",
    "step": 8,
    "message": "a failed attach leaves a pin behind: ATTACH_PT.EFAULT.pin failed in both, but the kernel's state changed",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/P-ATOMIC/774f68e113.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/P-ATOMIC/774f68e113.json: iommufd on host-pasid-table (once P-ATOMIC, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio0 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: MMAP uva=0x100000 len=4K -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(5)).toEqual([]));
  it("step 6: IOMMU_IOAS_MAP $fd1 ioas=$ioas1 len=4K user_va=0x100000 RW -> ok", () => expect(problems(6)).toEqual([]));
  it("step 7: IOMMU_IOAS_MAP $fd1 ioas=$ioas1 len=4K user_va=0x0 RW -> ok", () => expect(problems(7)).toEqual([]));
  it("step 8: VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas1 -> EFAULT", () => expect(problems(8)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
