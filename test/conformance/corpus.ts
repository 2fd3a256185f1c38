/** Every binding's conformance cases (and the dialect's), by name: what each backend must agree on. */
import type { ConformanceCase } from "./backend.js";
import { cases as data } from "./data.cases.js";
import { cases as dialect } from "./dialect.cases.js";
import { cases as rcu } from "./rcu.cases.js";
import { cases as time } from "./time.cases.js";
import { cases as xdp } from "./xdp.cases.js";
import { cases as xdplua } from "./xdplua.cases.js";

export const CORPUS: Record<string, ConformanceCase[]> = { dialect, data, rcu, time, xdp, xdplua };
