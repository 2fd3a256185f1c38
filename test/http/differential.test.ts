/**
 * Both HTTP templates against two references on a generated corpus: Node's llhttp (strict) and Python's h11.
 * Each input is classified, per reference, as agree, stricter (the template refuses or holds back what the
 * reference serves) or laxer (the template serves what the reference refuses, or frames requests
 * differently). Laxer must never happen against either. The kinds of input where a template may be stricter
 * than llhttp are listed, with why, in its README ("Stricter than llhttp"); h11 is laxer than llhttp in
 * places (bare LF line endings, obs-fold, any chunk extension), so being stricter than h11 is not checked.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildEntry } from "../../compiler/build.js";
import { packageRoot } from "../../common/paths.js";
import { loadHook } from "../../runtime/testing.js";
import { runInLua53 } from "../helpers/lua53.js";
import { verdictTable, type Verdict } from "../helpers/verdicts.js";
import { corpus, type ReferenceOutcome } from "./corpus.js";
import { h11Outcomes } from "./h11.js";
import { llhttpOutcomes } from "./llhttp.js";

type Judge = (i: number, ref: ReferenceOutcome) => { verdict: Verdict; detail: string };

/** Kinds of input where each template is knowingly stricter than llhttp (its README says why); "random" inputs are changed requests whose changes land in those kinds. */
const STRICTER_KINDS: Record<string, string[]> = {
  "sock-http-validate": ["valid", "content-length", "transfer-encoding", "chunk-size", "chunk-extension", "field-value", "target-byte", "target",
    "version", "request-line", "empty-lines", "host", "pipeline", "limits", "trailer", "random"],
  "ktls-http": ["content-length", "transfer-encoding", "chunk-size", "chunk-extension", "field-value", "target-byte", "target", "version", "request-line",
    "empty-lines", "host", "pipeline", "limits", "trailer", "random"],
};

const cases = corpus();
/** What each reference made of each input. */
const references: Record<"llhttp" | "h11", ReferenceOutcome[]> = { llhttp: [], h11: [] };
/** kscript/http's framing of each input with sock-http-validate's limits: "METHOD target bodyLength" lines, then how it ends. */
let framing: string[] = [];

beforeAll(async () => {
  const inputs = cases.map((c) => c.bytes);
  // Python parses the whole corpus while llhttp's connections take turns.
  [references.llhttp, references.h11] = await Promise.all([llhttpOutcomes(inputs), h11Outcomes(inputs)]);
  const built = await buildEntry(path.join(import.meta.dirname, "../fixtures/stdlib/http-probe.ts"));
  expect(built.diagnostics).toEqual([]);
  const luaString = (s: string) => `"${[...Buffer.from(s, "latin1")].map((b) => `\\${b}`).join("")}"`;
  const luaInputs = inputs.map(luaString).join(",");
  const out = runInLua53(built.package!.lua, `(function() local r = {} for _, t in ipairs({${luaInputs}}) do r[#r + 1] = exports.frames(t, 1048576, 128) end return table.concat(r, "\\0") end)()`);
  expect(out.ok, out.output).toBe(true);
  framing = out.output.split("\0");
}, 300_000);

/** A reference's messages as kscript/http's framing lines, for comparison. */
const referenceLines = (o: ReferenceOutcome) => o.messages.map((m) => `${m.method} ${m.url} ${m.bodyLength}\n`).join("");

/** Judges the template against each reference, prints each table, then fails on any laxer input or undocumented stricter one. */
function report(template: string, judge: Judge) {
  const failures: string[] = [];
  for (const [name, outcomes] of Object.entries(references)) {
    const verdicts = cases.map((c, i) => {
      const ref = outcomes[i];
      const { verdict, detail } = judge(i, ref);
      return { c, verdict, detail: `${detail}; ${name} ${JSON.stringify(referenceLines(ref))} ${ref.end} ${ref.error ?? ""}` };
    });
    console.log(`\n${template} against ${name}, ${verdicts.length} inputs\n${verdictTable(verdicts.map((v) => ({ kind: v.c.kind, verdict: v.verdict })))}`);
    const shown = (v: (typeof verdicts)[number]) => `${v.c.kind} ${JSON.stringify(v.c.bytes.slice(0, 200))}: ${v.detail}`;
    failures.push(...verdicts.filter((v) => v.verdict === "laxer").map((v) => `laxer than ${name}: ${shown(v)}`));
    if (name === "llhttp") {
      failures.push(...verdicts.filter((v) => v.verdict === "stricter" && !STRICTER_KINDS[template].includes(v.c.kind)).map((v) => `undocumented: ${shown(v)}`));
    }
  }
  expect(failures).toEqual([]);
}

describe("HTTP templates against llhttp and h11", () => {
  it("corpus: a few hundred inputs, each kind with inputs llhttp serves and inputs it refuses", () => {
    expect(cases.length).toBeGreaterThan(300);
    for (const kind of ["content-length", "transfer-encoding", "chunk-size", "chunk-extension", "chunk-data", "trailer", "pipeline", "target-byte"]) {
      const ends = new Set(cases.flatMap((c, i) => (c.kind === kind ? [references.llhttp[i].end] : [])));
      expect([...ends], kind).toEqual(expect.arrayContaining(["error", "ok"]));
    }
  });

  it("sock-http-validate: never lets through what a reference refuses, nor frames requests differently", async () => {
    const hook = await loadHook(path.join(packageRoot, "templates/sock-http-validate/src/validate.ts"));
    const accepted = cases.map((c) => hook.runProcess(Buffer.from(c.bytes, "latin1")));
    report("sock-http-validate", (i, ref) => {
      const frames = framing[i];
      const detail = `hook ${accepted[i] ? "accepts" : "refuses"}; kscript/http ${JSON.stringify(frames)}`;
      // Accepting is only right when the reference found no error and both read the same requests, with the same bodies.
      const lines = referenceLines(ref);
      const sameRequests = frames.startsWith(lines) && !frames.slice(lines.length).includes("\n");
      if (accepted[i]) return { detail, verdict: ref.end !== "error" && sameRequests ? "agree" : "laxer" };
      return { detail, verdict: ref.end === "error" ? "agree" : "stricter" };
    });
  });

  it("ktls-http: never answers a request a reference did not parse, nor more requests than it did", async () => {
    // One Lua state per input: each input is a connection of its own.
    const states = await loadHook(path.join(packageRoot, "templates/ktls-http/src/router.ts"), { cpus: cases.length });
    const runs = cases.map((c, i) => {
      // The input in one recv, then recvs with nothing new until the router waits (100) or refuses (4xx/5xx but
      // 404, 405 and 417, which keep the connection, with or without the HEAD offset) — or answers more than any
      // reference read. A 417 serves nothing: like Node's server, the router refuses that request and reads on.
      const most = Math.max(references.llhttp[i].messages.length, references.h11[i].messages.length);
      const answered: string[] = [];
      let code = 0;
      for (let msg = c.bytes; answered.length <= most + 1; msg = "") {
        const r = states.runRecv(Buffer.from(msg, "latin1"), { cpu: i });
        code = r.code % 1000;
        if (code === 100 || (code >= 400 && code !== 404 && code !== 405 && code !== 417)) break;
        if (code !== 417) answered.push(`${r.code}${r.file ? ` ${r.file}` : ""}`);
      }
      return { answered, code };
    });
    report("ktls-http", (i, ref) => {
      const { answered, code } = runs[i];
      const detail = `router ${JSON.stringify(answered)} then ${code}`;
      if (answered.length > ref.messages.length) return { detail, verdict: "laxer" };
      if (answered.length < ref.messages.length || (code !== 100 && ref.end !== "error")) return { detail, verdict: "stricter" };
      return { detail, verdict: "agree" };
    });
  });
});
