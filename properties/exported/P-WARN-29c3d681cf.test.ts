// ioasid-lab export --format vitest counterexamples/P-WARN/29c3d681cf.json (export again rather than edit)
// 9 steps: OPEN, OPEN, OPEN, IOMMU_IOAS_ALLOC, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "8:8:7:3:1:0:0:2:1:1:2:1:1:1:1:1:1:1:1",
    "runs": 9,
    "shrinks": 18,
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
        "env": "OPEN",
        "path": "/dev/vfio/devices/vfio2"
      },
      "bind": {
        "fd": "$fd3"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "fd": 5
          }
        },
        "rule": "OPEN.ok.device"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "fd": 5
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
        "ioctl": "VFIO_DEVICE_BIND_IOMMUFD",
        "fd": "$fd3",
        "flags": 0,
        "iommufd": "$fd1"
      },
      "bind": {
        "out_devid": "$dev2"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "out_devid": 3
          }
        },
        "rule": "BIND_IOMMUFD.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "out_devid": 3
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
            "pt_id": 4
          }
        },
        "rule": "ATTACH_PT.ok.auto_domain"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "pt_id": 4
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
        "fd": "$fd3",
        "flags": 0,
        "pt_id": "$ioas1",
        "pasid": 0
      },
      "bind": {
        "pt_id": "$hwpt2"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {
            "pt_id": 4
          }
        },
        "rule": "ATTACH_PT.ok.attach"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {
            "pt_id": 4
          }
        }
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_DEVICE_DETACH_IOMMUFD_PT",
        "fd": "$fd2",
        "flags": 0,
        "pasid": 0
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {}
        },
        "rule": "DETACH_PT.ok"
      },
      "impl": {
        "result": {
          "ok": true,
          "out": {}
        }
      },
      "expect": "ok"
    }
  ],
  "verdict": {
    "property": "P-WARN",
    "step": 0,
    "message": "detach does not drop the HWPT reference: closing every fd: WARNING in iommufd_fops_release: 2 objects still referenced: ioas 1 users=2, hwpt_paging 4 users=2",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/P-WARN/29c3d681cf.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/P-WARN/29c3d681cf.json: iommufd on host-pasid-table (once P-WARN, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio0 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: OPEN /dev/vfio/devices/vfio2 -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: VFIO_DEVICE_BIND_IOMMUFD $fd2 iommufd=$fd1 -> ok", () => expect(problems(5)).toEqual([]));
  it("step 6: VFIO_DEVICE_BIND_IOMMUFD $fd3 iommufd=$fd1 -> ok", () => expect(problems(6)).toEqual([]));
  it("step 7: VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd2 pt=$ioas1 -> ok", () => expect(problems(7)).toEqual([]));
  it("step 8: VFIO_DEVICE_ATTACH_IOMMUFD_PT $fd3 pt=$ioas1 -> ok", () => expect(problems(8)).toEqual([]));
  it("step 9: VFIO_DEVICE_DETACH_IOMMUFD_PT $fd2 -> ok", () => expect(problems(9)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
