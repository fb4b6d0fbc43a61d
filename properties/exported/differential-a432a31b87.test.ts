// ioasid-lab export --format vitest counterexamples/differential/a432a31b87.json (export again rather than edit)
// 5 steps: OPEN, OPEN, VFIO_BIND_IOASID_FD, CLOSE, VFIO_UNBIND_IOASID_FD
import { describe, expect, it } from 'vitest';
import { loadTrace, replay } from 'ioasid-lab';

const TRACE = {
  "schema": "ioasid-lab/trace@2",
  "design": "per-device-sva",
  "hardware": "host-pasid-table",
  "origin": {
    "kind": "check",
    "seed": 20261126,
    "minimality": "1-minimal"
  },
  "verdict": {
    "property": "differential",
    "step": 5,
    "message": "the spec kept a closed /dev/ioasid file alive after its last device unbound; the kernel released it",
    "status": "fixed"
  },
  "steps": [
    {
      "cmd": {
        "env": "OPEN",
        "path": "/dev/ioasid"
      },
      "bind": {
        "fd": "$fd1"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "env": "OPEN",
        "path": "/dev/vfio/devices/vfio2"
      },
      "bind": {
        "fd": "$fd2"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_BIND_IOASID_FD",
        "fd": "$fd2",
        "ioasid_fd": "$fd1"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "env": "CLOSE",
        "fd": "$fd1"
      },
      "expect": "ok"
    },
    {
      "cmd": {
        "ioctl": "VFIO_UNBIND_IOASID_FD",
        "fd": "$fd2"
      },
      "expect": "ok"
    }
  ]
};

const outcome = replay(loadTrace(JSON.stringify(TRACE), "counterexamples/differential/a432a31b87.json"));

/** What went wrong at step n: not reached, an answer other than the step expects (spec or kernel), a broken property. */
const problems = (n: number): string[] => [
  ...(n > outcome.records.length ? [`not reached: the replay stopped at step ${outcome.records.length}`] : []),
  ...outcome.unexpected.filter((u) => u.step === n).map((u) => `${u.side}: ${u.message}`),
  ...(outcome.violation !== null && outcome.violation.step === n ? [`${outcome.violation.property}: ${outcome.violation.message}`] : []),
];

describe("counterexamples/differential/a432a31b87.json: per-device-sva on host-pasid-table (once differential, fixed)", () => {
  it("step 1: OPEN /dev/ioasid -> ok", () => expect(problems(1)).toEqual([]));
  it("step 2: OPEN /dev/vfio/devices/vfio2 -> ok", () => expect(problems(2)).toEqual([]));
  it("step 3: VFIO_BIND_IOASID_FD $fd2 ioasid_fd=$fd1 -> ok", () => expect(problems(3)).toEqual([]));
  it("step 4: CLOSE $fd1 -> ok", () => expect(problems(4)).toEqual([]));
  it("step 5: VFIO_UNBIND_IOASID_FD $fd2 -> ok", () => expect(problems(5)).toEqual([]));
  it('breaks no property, at the end either', () => expect(outcome.violation).toBeNull());
});
