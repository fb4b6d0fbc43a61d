// ioasid-lab export --format vitest counterexamples/differential/07ad41abd0.json (export again rather than edit)
// 2 steps: OPEN, IOMMU_IOAS_MAP
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "memlockPages": 4,
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "35:4:4:4:4:5:0:0:0:0:0:0:0:0:0",
    "runs": 36,
    "shrinks": 14,
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
        "ioctl": "IOMMU_IOAS_MAP",
        "fd": "$fd1",
        "flags": 0,
        "ioas_id": "$ioas1",
        "__reserved": 0,
        "user_va": "0x0",
        "length": "0x0",
        "iova": "0x0"
      },
      "spec": {
        "result": {
          "ok": false,
          "errno": "EINVAL"
        },
        "rule": "IOAS_MAP.EINVAL.prot"
      },
      "impl": {
        "result": {
          "ok": false,
          "errno": "ENOENT"
        }
      },
      "expect": "EINVAL"
    }
  ],
  "verdict": {
    "property": "differential",
    "step": 2,
    "message": "IOAS_MAP without READ or WRITE is accepted (labelled by the spec rule, not as P-IOVA-ALLOC): IOAS_MAP.EINVAL.prot: the spec answers EINVAL, the kernel ENOENT",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/differential/07ad41abd0.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/differential/07ad41abd0.json: iommufd on host-pasid-table (once differential, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: IOMMU_IOAS_MAP $fd1 ioas=$ioas1 len=0 user_va=0x0 (no READ/WRITE) -> EINVAL", () => expect(problems(2)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
