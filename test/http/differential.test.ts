/**
 * Both HTTP templates against Node's llhttp (strict) on a generated corpus: each input is classified as
 * agree, stricter (the template refuses or holds back what llhttp serves) or laxer (the template serves what
 * llhttp refuses, or frames requests differently). Laxer must never happen; the kinds of input where a
 * template may be stricter are listed, with why, in its README ("Stricter than llhttp").
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildEntry } from "../../compiler/build.js";
import { packageRoot } from "../../common/paths.js";
import { loadHook } from "../../runtime/testing.js";
import { runInLua53 } from "../helpers/lua53.js";
import { corpus, type Case } from "./corpus.js";
import { startLlhttp, type LlhttpOutcome } from "./llhttp.js";

type Verdict = "agree" | "stricter" | "laxer";

/** Kinds of input where each template is knowingly stricter than llhttp (its README says why). */
const STRICTER_KINDS: Record<string, string[]> = {
  "sock-http-validate": ["valid", "content-length", "transfer-encoding", "chunk-size", "chunk-extension", "field-value", "target-byte", "target",
    "version", "request-line", "empty-lines", "host", "pipeline", "limits"],
  "ktls-http": ["content-length", "transfer-encoding", "chunk-size", "chunk-extension", "field-value", "target-byte", "target", "version", "request-line",
    "empty-lines", "host", "pipeline", "limits"],
};

const cases = corpus();
const reference: LlhttpOutcome[] = [];
/** kscript/http's framing of each input with sock-http-validate's limits: "METHOD target bodyLength" lines, then how it ends. */
let framing: string[] = [];

beforeAll(async () => {
  const llhttp = await startLlhttp();
  for (const c of cases) reference.push(await llhttp.parse(c.bytes));
  await llhttp.close();
  const built = await buildEntry(path.join(import.meta.dirname, "../fixtures/stdlib/http-probe.ts"));
  expect(built.diagnostics).toEqual([]);
  const luaString = (s: string) => `"${[...Buffer.from(s, "latin1")].map((b) => `\\${b}`).join("")}"`;
  const inputs = cases.map((c) => luaString(c.bytes)).join(",");
  const out = runInLua53(built.package!.lua, `(function() local r = {} for _, t in ipairs({${inputs}}) do r[#r + 1] = exports.frames(t, 1048576, 128) end return table.concat(r, "\\0") end)()`);
  expect(out.ok, out.output).toBe(true);
  framing = out.output.split("\0");
}, 300_000);

/** llhttp's messages as kscript/http's framing lines, for comparison. */
const llhttpLines = (o: LlhttpOutcome) => o.messages.map((m) => `${m.method} ${m.url} ${m.bodyLength}\n`).join("");

/** The table's rows: per kind, how many inputs agree, are stricter, are laxer. */
function table(verdicts: { kind: string; verdict: Verdict }[]): string {
  const rows = new Map<string, Record<Verdict, number>>();
  const total: Record<Verdict, number> = { agree: 0, stricter: 0, laxer: 0 };
  for (const { kind, verdict } of verdicts) {
    const row = rows.get(kind) ?? { agree: 0, stricter: 0, laxer: 0 };
    row[verdict]++;
    total[verdict]++;
    rows.set(kind, row);
  }
  const line = (k: string, r: Record<Verdict, number>) => `${k.padEnd(18)} ${String(r.agree).padStart(6)} ${String(r.stricter).padStart(9)} ${String(r.laxer).padStart(6)}`;
  return [`${"kind".padEnd(18)}  agree  stricter  laxer`, ...[...rows].map(([k, r]) => line(k, r)), line("total", total)].join("\n");
}

function report(template: string, verdicts: { c: Case; verdict: Verdict; detail: string }[]) {
  console.log(`\n${template} against llhttp (strict), ${verdicts.length} inputs\n${table(verdicts.map((v) => ({ kind: v.c.kind, verdict: v.verdict })))}`);
  const laxer = verdicts.filter((v) => v.verdict === "laxer").map((v) => `${JSON.stringify(v.c.bytes.slice(0, 200))}: ${v.detail}`);
  expect(laxer).toEqual([]);
  const undocumented = verdicts.filter((v) => v.verdict === "stricter" && !STRICTER_KINDS[template].includes(v.c.kind));
  expect(undocumented.map((v) => `${v.c.kind} ${JSON.stringify(v.c.bytes.slice(0, 200))}: ${v.detail}`)).toEqual([]);
}

describe("HTTP templates against llhttp", () => {
  it("corpus: a few hundred inputs, each kind with inputs llhttp serves and inputs it refuses", () => {
    expect(cases.length).toBeGreaterThan(300);
    for (const kind of ["content-length", "transfer-encoding", "chunk-size", "chunk-extension", "chunk-data", "trailer", "pipeline", "target-byte"]) {
      const ends = new Set(cases.flatMap((c, i) => (c.kind === kind ? [reference[i].end] : [])));
      expect([...ends], kind).toEqual(expect.arrayContaining(["error", "ok"]));
    }
  });

  it("sock-http-validate: never lets through what llhttp refuses, nor frames requests differently", async () => {
    const hook = await loadHook(path.join(packageRoot, "templates/sock-http-validate/src/validate.ts"));
    report("sock-http-validate", cases.map((c, i) => {
      const ref = reference[i];
      const accepted = hook.runProcess(Buffer.from(c.bytes, "latin1"));
      const frames = framing[i];
      const detail = `hook ${accepted ? "accepts" : "refuses"}; kscript/http ${JSON.stringify(frames)}; llhttp ${JSON.stringify(llhttpLines(ref))} ${ref.end} ${ref.error ?? ""}`;
      // Accepting is only right when llhttp found no error and both read the same requests, with the same bodies.
      const sameRequests = frames.startsWith(llhttpLines(ref)) && !frames.slice(llhttpLines(ref).length).includes("\n");
      if (accepted) return { c, detail, verdict: ref.end !== "error" && sameRequests ? "agree" : "laxer" };
      return { c, detail, verdict: ref.end === "error" ? "agree" : "stricter" };
    }));
  });

  it("ktls-http: never answers a request llhttp did not parse, nor more requests than it did", async () => {
    // One Lua state per input: each input is a connection of its own.
    const states = await loadHook(path.join(packageRoot, "templates/ktls-http/src/router.ts"), { cpus: cases.length });
    report("ktls-http", cases.map((c, i) => {
      const ref = reference[i];
      // The input in one recv, then recvs with nothing new until the router waits (100) or refuses (4xx/5xx but
      // 404 and 405, which keep the connection, with or without the HEAD offset).
      const answered: string[] = [];
      let code = 0;
      for (let msg = c.bytes; answered.length <= ref.messages.length + 1; msg = "") {
        const r = states.runRecv(Buffer.from(msg, "latin1"), { cpu: i });
        code = r.code % 1000;
        if (code === 100 || (code >= 400 && code !== 404 && code !== 405)) break;
        answered.push(`${r.code}${r.file ? ` ${r.file}` : ""}`);
      }
      const detail = `router ${JSON.stringify(answered)} then ${code}; llhttp ${JSON.stringify(llhttpLines(ref))} ${ref.end} ${ref.error ?? ""}`;
      if (answered.length > ref.messages.length) return { c, detail, verdict: "laxer" };
      if (answered.length < ref.messages.length || (code !== 100 && ref.end !== "error")) return { c, detail, verdict: "stricter" };
      return { c, detail, verdict: "agree" };
    }));
  });
});
