// ioasid-lab export --format vitest counterexamples/differential/387c0efec0.json (export again rather than edit)
// 3 steps: OPEN, IOMMU_IOAS_ALLOC, IOMMU_IOAS_UNMAP
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "2:12:0:0:0:0:1:0",
    "runs": 3,
    "shrinks": 7,
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
        "ioctl": "IOMMU_IOAS_UNMAP",
        "fd": "$fd1",
        "ioas_id": "$ioas1",
        "iova": "0xfffffffffffff000",
        "length": "0x2000"
      },
      "spec": {
        "result": {
          "ok": false,
          "errno": "EOVERFLOW"
        },
        "rule": "IOAS_UNMAP.EOVERFLOW.wrap"
      },
      "impl": {
        "result": {
          "ok": false,
          "errno": "ENOENT"
        }
      },
      "expect": "EOVERFLOW"
    }
  ],
  "verdict": {
    "property": "differential",
    "step": 3,
    "message": "IOAS_UNMAP lets a wrapping range through: IOAS_UNMAP.EOVERFLOW.wrap: the spec answers EOVERFLOW, the kernel ENOENT",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/differential/387c0efec0.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/differential/387c0efec0.json: iommufd on host-pasid-table (once differential, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: IOMMU_IOAS_UNMAP $fd1 ioas=$ioas1 iova=0xfffffffffffff000 len=8K -> EOVERFLOW", () => expect(problems(3)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
