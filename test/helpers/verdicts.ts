/**
 * How differential tests against a reference report: each input is "agree", "stricter" (ours refuses what
 * the reference takes) or "laxer" (ours takes what the reference refuses, or reads it differently), counted
 * per kind of input in a table printed to the test output.
 */
export type Verdict = "agree" | "stricter" | "laxer";

/** The table's rows: per kind, how many inputs agree, are stricter, are laxer; then the totals. */
export function verdictTable(verdicts: { kind: string; verdict: Verdict }[]): string {
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
