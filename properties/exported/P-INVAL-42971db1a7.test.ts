// ioasid-lab export --format vitest counterexamples/P-INVAL/42971db1a7.json (export again rather than edit)
// 9 steps: OPEN, OPEN, MMAP, IOMMU_IOAS_ALLOC, VFIO_DEVICE_BIND_IOMMUFD, IOMMU_IOAS_MAP, VFIO_DEVICE_ATTACH_IOMMUFD_PT, DMA, IOMMU_IOAS_UNMAP
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "99:10:10:12:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1:1",
    "runs": 100,
    "shrinks": 19,
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
        "ioctl": "IOMMU_IOAS_MAP",
        "fd": "$fd1",
        "flags": 7,
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
            "iova": "0x0"
          }
        },
        "rule": "IOAS_MAP.ok.fixed"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "iova": "0x0"
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
          "ok": true,
          "out": {
            "pt_id": 3
          }
        },
        "rule": "ATTACH_PT.ok.auto_domain"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "pt_id": 3
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "env": "DMA",
        "dev": "dev1",
        "pasid": null,
        "iova": "0x0",
        "access": "read"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "xlate": {
              "kind": "hit",
              "hpa": "0x100000"
            },
            "stale": []
          }
        },
        "rule": "DMA"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "xlate": {
              "kind": "hit",
              "hpa": "0x100000"
            },
            "stale": []
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "IOMMU_IOAS_UNMAP",
        "fd": "$fd1",
        "ioas_id": "$ioas1",
        "iova": "0x0",
        "length": "0x1000"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "length": "0x1000"
          }
        },
        "rule": "IOAS_UNMAP.ok.range"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "length": "0x1000"
          }
        }
      },
      "expect": "ok"
    }
  ],
  "verdict": {
    "property": "P-INVAL",
    "step": 9,
    "message": "unmap forgets the IOTLB flush: dev1 read at 0x0: the kernel gives hit 0x100000, the spec allows fault no-translation",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/P-INVAL/42971db1a7.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/P-INVAL/42971db1a7.json: iommufd on host-pasid-table (once P-INVAL, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio0 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: MMAP uva=0x100000 len=4K -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1 -> ok", () => expect(problems(5)).toEqual([]));
  it("step 6: IOMMU_IOAS_MAP $fd1 ioas=$ioas1 iova=0x0 len=4K user_va=0x100000 RW FIXED -> ok", () => expect(problems(6)).toEqual([]));
  it("step 7: VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas1 -> ok", () => expect(problems(7)).toEqual([]));
  it("step 8: DMA dev1 read 0x0 -> ok", () => expect(problems(8)).toEqual([]));
  it("step 9: IOMMU_IOAS_UNMAP $fd1 ioas=$ioas1 iova=0x0 len=4K -> ok", () => expect(problems(9)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
