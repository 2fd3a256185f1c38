/** The one judgement of a backend's result against a case, shared by the emulator and kernel test files. */
import { expect } from "vitest";
import type { CaseResult, ConformanceCase } from "./backend.js";

export function expectConformance(c: ConformanceCase, result: CaseResult): void {
  expect(result.calls).toHaveLength(c.expect.calls.length);
  c.expect.calls.forEach((want, i) => {
    const got = result.calls[i];
    const { error, ...fields } = want;
    if (error !== undefined) expect(got.error, `call ${i + 1}`).toContain(error);
    else expect(got.error, `call ${i + 1} raised`).toBeUndefined();
    expect(got, `call ${i + 1}`).toMatchObject(fields);
  });
  if (c.expect.rcu) expect(result.rcu).toEqual(c.expect.rcu);
}

/** Two backends agree when every call ends the same way; error texts may word the place differently. */
export function expectSameOutcome(a: CaseResult, b: CaseResult): void {
  const outcome = (r: CaseResult) => ({
    calls: r.calls.map(({ error, ...fields }) => ({ ...fields, raised: error !== undefined })),
    rcu: r.rcu,
  });
  expect(outcome(a)).toEqual(outcome(b));
}
