import os from "node:os";

/** Latency figures: nearest-rank percentiles over milliseconds, and a plain-text table for the console. */

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(sortedMs.length, Math.max(1, rank)) - 1];
}

export interface StepStats {
  step: string;
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Collects one latency (and error) list per named step, in the order steps are first seen. */
export class Recorder {
  private readonly samples = new Map<string, number[]>();
  private readonly failures = new Map<string, number>();
  readonly errorSamples: string[] = [];
  /** every answer slower than `slowMs`: when it was asked (ms since the epoch) and how long it took */
  readonly slow: { step: string; at: number; ms: number }[] = [];

  /** @param slowMs answers slower than this are kept with their start time (see `slow`); none by default */
  constructor(private readonly slowMs = Number.POSITIVE_INFINITY) {}

  record(step: string, ms: number): void {
    const list = this.samples.get(step) ?? [];
    list.push(ms);
    this.samples.set(step, list);
    if (ms > this.slowMs) this.slow.push({ step, at: Date.now() - ms, ms });
  }

  fail(step: string, reason: string): void {
    this.failures.set(step, (this.failures.get(step) ?? 0) + 1);
    if (!this.samples.has(step)) this.samples.set(step, []);
    // a few samples of each step's errors, so every failing step shows why
    if (this.errorSamples.filter((e) => e.startsWith(`${step}: `)).length < 3)
      this.errorSamples.push(`${step}: ${reason}`);
  }

  /** Times `fn` under `step`; a throw is counted as an error of that step and rethrown. */
  async time<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      const r = await fn();
      this.record(step, performance.now() - t);
      return r;
    } catch (e) {
      this.fail(step, e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  stats(): StepStats[] {
    return [...this.samples.entries()].map(([step, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return {
        step,
        count: sorted.length,
        errors: this.failures.get(step) ?? 0,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] ?? Number.NaN,
      };
    });
  }

  get totalErrors(): number {
    return [...this.failures.values()].reduce((a, b) => a + b, 0);
  }
}

/** Rows of strings as an aligned text table with a header rule. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function ms(v: number): string {
  return Number.isFinite(v) ? v.toFixed(v < 10 ? 1 : 0) : "-";
}

export function statsTable(stats: readonly StepStats[]): string {
  return table(
    ["step", "n", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"],
    stats.map((s) => [s.step, String(s.count), String(s.errors), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)]),
  );
}

/** The command line as typed, for the figures' provenance. */
export function commandLine(): string {
  const script = process.argv[1]?.replace(`${process.cwd()}/`, "") ?? "";
  return ["npx tsx", script, ...process.argv.slice(2)].join(" ");
}

/** "2 × CPU model, 24 GiB, Node v20.x, load 1.2" for the results table (the load says how busy the machine was). */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os.loadavg()[0].toFixed(1)}`;
}
