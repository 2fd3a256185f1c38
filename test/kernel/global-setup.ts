/**
 * vitest's global set-up for the kernel project: starts the one kernel session (session.ts) without waiting
 * for it, so the other projects' files run meanwhile; the kernel files wait for their suites.
 */
import type { TestProject } from "vitest/node";
import { runSession, sessionFolder } from "./session.js";
import { SUITES } from "./suites.js";

export default function setup(project: TestProject): () => Promise<void> {
  const dir = sessionFolder();
  project.provide("kernelSession", dir);
  const t0 = performance.now();
  // The phases' times go to the test output, so that CI logs show where the time went.
  const log = (line: string) => console.log(`[kernel +${((performance.now() - t0) / 1000).toFixed(0)} s] ${line}`);
  log(`session in ${dir}`);
  const done = runSession(dir, SUITES, log);
  return () => done;
}
