/** The emulated kernel bindings, one file each; every installer leaves its global table on the stack. */
import type { BindingContext } from "./context.js";
import { install as installData } from "./data.js";
import { install as installRcu } from "./rcu.js";
import { install as installTime } from "./time.js";
import { install as installXdp } from "./xdp.js";
import { install as installXdplua } from "./xdplua.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- Fengari states are untyped. */
export const BINDING_INSTALLERS: Readonly<Record<string, (L: any, ctx: BindingContext) => void>> = {
  data: installData,
  rcu: installRcu,
  time: installTime,
  xdp: installXdp,
  xdplua: installXdplua,
};
