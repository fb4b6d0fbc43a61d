// ioasid-lab export --format vitest counterexamples/P-OOPS/b3c473718b.json (export again rather than edit)
// 3 steps: OPEN, IOMMU_IOAS_ALLOC, IOMMU_DESTROY
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "iommufd",
  "hardware": "host-pasid-table",
  "origin": {
    "kind": "check",
    "seed": 7,
    "path": "2:8:2:3:0:0:0:2:1:2:3:4:4:4",
    "runs": 3,
    "shrinks": 13,
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
        "ioctl": "IOMMU_DESTROY",
        "fd": "$fd1",
        "id": "$ioas1"
      },
      "spec": {
        "result": {
          "ok": true,
          "out": {}
        },
        "rule": "DESTROY.ok.ioas"
      },
      "expect": "ok"
    }
  ],
  "verdict": {
    "property": "P-OOPS",
    "step": 3,
    "message": "IOMMU_DESTROY touches the object after freeing it (a kernel oops): BUG: the kernel crashed: TypeError: Cannot read properties of undefined (reading 'users') (Kernel.ioctl src/impl/kernel.ts:177:16)",
    "status": "fixed"
  }
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/P-OOPS/b3c473718b.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/P-OOPS/b3c473718b.json: iommufd on host-pasid-table (once P-OOPS, fixed)", () => {
  it("step 1: OPEN /dev/iommu -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: IOMMU_IOAS_ALLOC $fd1 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: IOMMU_DESTROY $fd1 id=$ioas1 -> ok", () => expect(problems(3)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
