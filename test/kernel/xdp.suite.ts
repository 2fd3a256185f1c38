/**
 * The XDP hook end to end: the templates xdp-dns and xdp-forward, made with `kscript init` and built with
 * `kscript build` here, and a hook for the verdicts they do not give, run by test/kernel/xdp-guest/runner.ts
 * in the guest: deployed on veth interfaces in network namespaces by the real CLI (`kscript deploy --xdp`),
 * answering dig, learning an upstream's answers, redirecting by compiled rules, taken off by `kscript detach`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../../common/paths.js";
import { VM_CACHE } from "../../vm/vm.js";
import type { Suite } from "./session.js";

/** Steps the runner reports, in order. */
export const STEPS = [
  "module BTF, veth and namespaces",
  "deploy --xdp refuses what it cannot do",
  "xdp-dns deployed on d0 answers the zone",
  "xdp-dns caches the upstream's answers",
  "xdp-dns passes other traffic",
  "kscript detach restores plain forwarding (xdp-dns)",
  "verdicts hook on d0 deployed",
  "drop works; a script error or budget hit passes the packet",
  "after detach, nothing is dropped",
  "xdp-forward deployed on f0 with compiled rules",
  "xdp-forward redirects per its rules",
  "kscript detach restores plain forwarding (xdp-forward)",
  "after detach, only routing applies",
  "done",
];

const VERDICTS = `import type { Data } from "kscript/data";
import { action, type Action } from "kscript/xdp";
import { udp_reply } from "kscript/xdplua";

/**
 * UDP to port 9 is dropped; to port 10 the hook raises an error; to port 11 it spins past its budget; to
 * port 12 it turns the packet into a reply, then raises an error.
 */
export function callback(pkt: Data): Action {
  if (pkt.len() < 42 || pkt.getuint16(12) !== 0x0800 || pkt.getbyte(23) !== 17) return action.pass;
  const port = pkt.getuint16(14 + (pkt.getbyte(14) & 15) * 4 + 2);
  if (port === 9) return action.drop;
  if (port === 10) throw new Error("boom");
  if (port === 12) {
    udp_reply(pkt, "x");
    throw new Error("boom after a rewrite");
  }
  let n = 0;
  while (port === 11) n++;
  return n === 0 ? action.pass : action.aborted;
}
`;

export const xdpSuite: Suite = {
  name: "xdp",
  lane: "b",
  async prepare({ image: built, work, js, kscript }) {
    const dns = path.join(work, "dns");
    const forward = path.join(work, "forward");
    const verdicts = path.join(work, "verdicts");
    await Promise.all(
      [["xdp-dns", dns], ["xdp-forward", forward]].map(async ([template, dir]) => {
        await kscript(["init", template, dir]);
        await kscript(["build", dir]);
      }),
    );
    mkdirSync(path.join(verdicts, "src"), { recursive: true });
    writeFileSync(path.join(verdicts, "kscript.json"), '{ "hooks": [{ "name": "verdicts", "entry": "src/verdicts.ts", "target": "xdp" }] }\n');
    writeFileSync(path.join(verdicts, "src", "verdicts.ts"), VERDICTS);
    await kscript(["build", verdicts]);
    const image = await built;
    const veth = path.join(VM_CACHE, `image-${image.kver}`, "lib/modules", image.kver, "kernel/drivers/net/veth.ko");
    const runner = path.join(js, "test/kernel/xdp-guest/runner.js");
    const args = [veth, path.join(image.bpf, "kscript_xdp.o"), dns, forward, verdicts];
    return { cwd: packageRoot, script: `node ${runner} "$KS_OUT" ${args.join(" ")}\n` };
  },
};
