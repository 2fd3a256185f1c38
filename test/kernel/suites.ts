/** Every kernel suite, each in the lane (VM) it runs in; balanced so that the two lanes take about as long. */
import type { Suite } from "./session.js";
import { cliSuite, templateSuites } from "./cli.suite.js";
import { ktlsSuite } from "./ktls.suite.js";
import { ulpSuite } from "./ulp.suite.js";
import { vmSuite } from "./vm.suite.js";
import { xdpSuite } from "./xdp.suite.js";

export const SUITES: Suite[] = [vmSuite, cliSuite, ...templateSuites, xdpSuite, ktlsSuite, ulpSuite];
