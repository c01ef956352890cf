import { afterAll, expect } from "vitest";
import type { Db } from "@/lib/db";
import { checkInvariants } from "./invariants";

/**
 * The fault matrix's tally: each case records the faults it injected and the invariants it checked; after the
 * file, one table goes to stdout (cases, faults injected, invariants checked, violations). A violation also
 * fails its test.
 */

interface Row {
  case: string;
  faults: number;
  invariants: number;
  violations: number;
}

export function useFaultSummary(title: string) {
  const rows: Row[] = [];
  const notes: string[] = [];
  afterAll(() => {
    if (rows.length === 0) {
      if (notes.length) process.stdout.write(`\nFault matrix: ${title}\n${notes.map((n) => `  ${n}`).join("\n")}\n`);
      return;
    }
    const total = rows.reduce((t, r) => ({ case: "total", faults: t.faults + r.faults, invariants: t.invariants + r.invariants, violations: t.violations + r.violations }), { case: "total", faults: 0, invariants: 0, violations: 0 });
    const all = [...rows, total];
    const w = Math.max(4, ...all.map((r) => r.case.length));
    const line = (c: string, f: string, i: string, v: string) => `${c.padEnd(w)}  ${f.padStart(6)}  ${i.padStart(10)}  ${v.padStart(10)}`;
    const out = [
      `\nFault matrix: ${title}`,
      line("case", "faults", "invariants", "violations"),
      line("-".repeat(w), "------", "----------", "----------"),
      ...rows.map((r) => line(r.case, String(r.faults), String(r.invariants), String(r.violations))),
      line("-".repeat(w), "------", "----------", "----------"),
      line(`${rows.length} cases`, String(total.faults), String(total.invariants), String(total.violations)),
      ...notes.map((n) => `  ${n}`),
      "",
    ];
    process.stdout.write(out.join("\n") + "\n");
  });

  return {
    /** A line under the table (e.g. why a case was skipped). */
    note(text: string): void {
      notes.push(text);
    },
    /**
     * Checks the standard invariants plus the case's own assertions (`own`: a list of [description, ok]) and
     * records the case; fails the test on any violation.
     */
    async verify(db: Db, name: string, faults: number, own: [string, boolean][] = [], opts: Parameters<typeof checkInvariants>[1] = {}): Promise<void> {
      const report = await checkInvariants(db, opts);
      const violations = [...report.violations, ...own.filter(([, ok]) => !ok).map(([d]) => ({ invariant: "case", detail: d }))];
      rows.push({ case: name, faults, invariants: report.checked + own.length, violations: violations.length });
      expect(violations).toEqual([]);
    },
  };
}
