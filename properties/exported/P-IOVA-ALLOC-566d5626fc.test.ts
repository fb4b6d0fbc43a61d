// ioasid-lab export --format vitest counterexamples/P-IOVA-ALLOC/566d5626fc.json (export again rather than edit)
// 10 steps: OPEN, OPEN, MMAP, IOMMU_IOAS_ALLOC, VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_ALLOC, IOMMU_HWPT_ALLOC, IOMMU_IOAS_MAP, IOMMU_IOAS_COPY, IOMMU_IOAS_COPY
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "guest-pasid-table",
  "memlockPages": 32,
  "origin": {
    "kind": "check",
    "seed": 2,
    "path": "1896:13:16:3:3:6:6:7:3:3:3:3:3:6:9:9:9:9:9:9:9:9:9:9:9",
    "runs": 1897,
    "shrinks": 24,
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
            "out_ioas_id": 1
          }
        },
        "rule": "IOAS_ALLOC.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_ioas_id": 1
          }
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
            "out_devid": 2
          }
        },
        "rule": "BIND_IOMMUFD.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_devid": 2
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
        "out_ioas_id": "$ioas2"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "out_ioas_id": 3
          }
        },
        "rule": "IOAS_ALLOC.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_ioas_id": 3
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_HWPT_ALLOC",
        "fd": "$fd1",
        "flags": 1,
        "dev_id": "$dev1",
        "pt_id": "$ioas1",
        "__reserved": 0,
        "data_type": "IOMMU_HWPT_DATA_NONE",
        "data": null,
        "fault_id": 0
      },
      "bind": {
        "out_hwpt_id": "$hwpt1"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "out_hwpt_id": 4
          }
        },
        "rule": "HWPT_ALLOC.ok.paging"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_hwpt_id": 4
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
        "ioas_id": "$ioas2",
        "__reserved": 0,
        "user_va": "0x100000",
        "length": "0x800",
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
        "ioctl": "IOMMU_IOAS_COPY",
        "fd": "$fd1",
        "flags": 6,
        "dst_ioas_id": "$ioas2",
        "src_ioas_id": "$ioas2",
        "length": "0x800",
        "dst_iova": "0x0",
        "src_iova": "0x1000"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "dst_iova": "0x1800"
          }
        },
        "rule": "IOAS_COPY.ok.auto_iova"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "dst_iova": "0x1800"
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_COPY",
        "fd": "$fd1",
        "flags": 6,
        "dst_ioas_id": "$ioas1",
        "src_ioas_id": "$ioas2",
        "length": "0x1000",
        "dst_iova": "0x0",
        "src_iova": "0x1000"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "dst_iova": "0x1000"
          }
        },
        "rule": "IOAS_COPY.ok.auto_iova"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "dst_iova": "0x1000"
          }
        }
      },
      "expect": "EINVAL"
    }
  ],
  "verdict": {
    "property": "P-IOVA-ALLOC",
    "step": 10,
    "message": "found by check (seed 2): a copy whose source is two sub-page areas of an IOAS without a domain, together one page, was accepted into an IOAS with a domain by spec and kernel alike, leaving areas that are not page aligned under a domain; the kernel's domain fill (batch_to_domain, iommu_map) refuses the unaligned piece: EINVAL (IOAS_COPY.EINVAL.piece_alignment)",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/P-IOVA-ALLOC/566d5626fc.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/P-IOVA-ALLOC/566d5626fc.json: iommufd on guest-pasid-table (once P-IOVA-ALLOC, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio0 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: MMAP uva=0x100000 len=4K -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1 -> ok", () => expect(problems(5)).toEqual([]));
  it("step 6: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(6)).toEqual([]));
  it("step 7: IOMMU_HWPT_ALLOC $fd1 dev=$dev1 pt=$ioas1 NEST_PARENT -> ok", () => expect(problems(7)).toEqual([]));
  it("step 8: IOMMU_IOAS_MAP $fd1 ioas=$ioas2 len=2K user_va=0x100000 RW -> ok", () => expect(problems(8)).toEqual([]));
  it("step 9: IOMMU_IOAS_COPY $fd1 dst=$ioas2 src=$ioas2 src_iova=0x1000 len=2K RW -> ok", () => expect(problems(9)).toEqual([]));
  it("step 10: IOMMU_IOAS_COPY $fd1 dst=$ioas1 src=$ioas2 src_iova=0x1000 len=4K RW -> EINVAL", () => expect(problems(10)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
