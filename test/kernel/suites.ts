/** Every kernel suite, each in the lane (VM) it runs in: lanes a and b balanced; c, the hostile suite and the fuzzer. */
import type { Suite } from "./session.js";
import { cliSuite, int64Suite, limitsSuite, templateSuites } from "./cli.suite.js";
import { fuzzSuite } from "./fuzz.suite.js";
import { hostileSuite } from "./hostile.suite.js";
import { ktlsSuite } from "./ktls.suite.js";
import { ulpSuite } from "./ulp.suite.js";
import { vmSuite } from "./vm.suite.js";
import { xdpSuite } from "./xdp.suite.js";

export const SUITES: Suite[] = [vmSuite, cliSuite, limitsSuite, ulpSuite, ...templateSuites, xdpSuite, ktlsSuite, hostileSuite, fuzzSuite, int64Suite];
