import { appendFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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

const FAULT_FILES = readdirSync(import.meta.dirname + "/..").filter((f) => f.endsWith(".faults.test.ts")).length;
// test files run in worker processes of one vitest run: they share its pid as their parent
const LEDGER = path.join(os.tmpdir(), `certrenew-faults-${process.ppid}.jsonl`);

function render(title: string, rows: Row[], notes: string[]): string {
  const total = rows.reduce(
    (t, r) => ({
      case: "total",
      faults: t.faults + r.faults,
      invariants: t.invariants + r.invariants,
      violations: t.violations + r.violations,
    }),
    { case: "total", faults: 0, invariants: 0, violations: 0 },
  );
  const w = Math.max(8, ...rows.map((r) => r.case.length));
  const line = (c: string, f: string, i: string, v: string) =>
    `${c.padEnd(w)}  ${f.padStart(6)}  ${i.padStart(10)}  ${v.padStart(10)}`;
  const rule = line("-".repeat(w), "------", "----------", "----------");
  return [
    `\n${title}`,
    line("case", "faults", "invariants", "violations"),
    rule,
    ...rows.map((r) => line(r.case, String(r.faults), String(r.invariants), String(r.violations))),
    rule,
    line(`${rows.length} cases`, String(total.faults), String(total.invariants), String(total.violations)),
    ...notes.map((n) => `  ${n}`),
    "",
  ].join("\n");
}

/** Adds this file's rows to the run's ledger; the last fault file to finish prints the whole matrix. */
function ledger(title: string, rows: Row[], notes: string[]): void {
  appendFileSync(LEDGER, JSON.stringify({ title, rows, notes }) + "\n");
  const files = readFileSync(LEDGER, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { title: string; rows: Row[]; notes: string[] });
  if (files.length < FAULT_FILES) return;
  const all = files.flatMap((f) => f.rows.map((r) => ({ ...r, case: `${f.title}: ${r.case}` })));
  process.stdout.write(
    render(
      `Fault matrix, all ${files.length} files`,
      all,
      files.flatMap((f) => f.notes),
    ) + "\n",
  );
  rmSync(LEDGER, { force: true });
}

export function useFaultSummary(title: string) {
  const rows: Row[] = [];
  const notes: string[] = [];
  let filed = false;
  afterAll(() => {
    if (filed) return;
    if (rows.length) process.stdout.write(render(`Fault matrix: ${title}`, rows, notes) + "\n");
    else if (notes.length) process.stdout.write(`\nFault matrix: ${title}\n${notes.map((n) => `  ${n}`).join("\n")}\n`);
    ledger(title, rows, notes);
  });

  return {
    /** A line under the table. */
    note(text: string): void {
      notes.push(text);
    },
    /** The whole file is skipped (vitest runs no hooks then): its reason goes to the matrix now. */
    skipped(reason: string): void {
      filed = true;
      process.stdout.write(`\nFault matrix: ${title}\n  skipped: ${reason}\n`);
      ledger(title, [], [`skipped: ${title}: ${reason}`]);
    },
    /**
     * Checks the standard invariants plus the case's own assertions (`own`: a list of [description, ok]) and
     * records the case; fails the test on any violation.
     */
    async verify(
      db: Db,
      name: string,
      faults: number,
      own: [string, boolean][] = [],
      opts: Parameters<typeof checkInvariants>[1] = {},
    ): Promise<void> {
      const report = await checkInvariants(db, opts);
      const violations = [
        ...report.violations,
        ...own.filter(([, ok]) => !ok).map(([d]) => ({ invariant: "case", detail: d })),
      ];
      rows.push({ case: name, faults, invariants: report.checked + own.length, violations: violations.length });
      expect(violations).toEqual([]);
    },
  };
}
