// ioasid-lab export --format vitest counterexamples/P-DESTROY/14b0531581.json (export again rather than edit)
// 6 steps: OPEN, OPEN, IOMMU_IOAS_ALLOC, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT, IOMMU_DESTROY
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "0:9:0:0:0",
    "runs": 1,
    "shrinks": 4,
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
        "ioctl": "IOMMU_DESTROY",
        "fd": "$fd1",
        "id": "$ioas1"
      },
      "spec": {
        "result": {
          "ok": false,
          "errno": "EBUSY"
        },
        "rule": "DESTROY.EBUSY.ioas_in_use"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {}
        }
      },
      "expect": "EBUSY"
    }
  ],
  "verdict": {
    "property": "P-DESTROY",
    "step": 6,
    "message": "IOMMU_DESTROY misses the EBUSY check: DESTROY.EBUSY.ioas_in_use: the spec answers EBUSY, the kernel ok {}",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/P-DESTROY/14b0531581.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/P-DESTROY/14b0531581.json: iommufd on host-pasid-table (once P-DESTROY, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio0 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas1 -> ok", () => expect(problems(5)).toEqual([]));
  it("step 6: IOMMU_DESTROY $fd1 id=$ioas1 -> EBUSY", () => expect(problems(6)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
