/**
 * Every kernel suite, each in the lane (VM) it runs in, the lanes a, b and c balanced: c holds the hostile
 * suite and the fuzzer (then the shorter fixture suites, int64 and errors); h, the host suite (its own VM,
 * booted without kscript.ko).
 */
import type { Suite } from "./session.js";
import { cliSuite, errorsSuite, int64Suite, limitsSuite, templateSuites } from "./cli.suite.js";
import { fuzzSuite } from "./fuzz.suite.js";
import { hostSuite } from "./host.suite.js";
import { hostileSuite } from "./hostile.suite.js";
import { ktlsSuite } from "./ktls.suite.js";
import { sm4Suite } from "./sm4.suite.js";
import { ulpSuite } from "./ulp.suite.js";
import { vmSuite } from "./vm.suite.js";
import { xdpSuite } from "./xdp.suite.js";

export const ALL_SUITES: Suite[] = [vmSuite, cliSuite, limitsSuite, ulpSuite, ...templateSuites, xdpSuite, ktlsSuite, hostileSuite, fuzzSuite, int64Suite, errorsSuite, sm4Suite, hostSuite];

/**
 * The suites this run boots for: all of them, or those KSCRIPT_SUITES names (comma-separated; a name ending in
 * `*` is a prefix, e.g. `template-*`), for the edit loop on one suite. The others' tests skip, saying why.
 */
export function selectedSuites(filter = process.env.KSCRIPT_SUITES): Suite[] {
  if (!filter) return ALL_SUITES;
  const patterns = filter.split(",").map((p) => p.trim()).filter(Boolean);
  const picked = ALL_SUITES.filter((s) => patterns.some((p) => (p.endsWith("*") ? s.name.startsWith(p.slice(0, -1)) : s.name === p)));
  const unknown = patterns.filter((p) => !ALL_SUITES.some((s) => (p.endsWith("*") ? s.name.startsWith(p.slice(0, -1)) : s.name === p)));
  if (unknown.length > 0) throw new Error(`KSCRIPT_SUITES names no suite: ${unknown.join(", ")} (the suites: ${ALL_SUITES.map((s) => s.name).join(", ")})`);
  return picked;
}

export const SUITES: Suite[] = selectedSuites();
