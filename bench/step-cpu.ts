import { parseArgs } from "node:util";
import { openDb } from "../lib/db/client";
import { loadCa } from "../lib/pki/ca";
import { HolderClient } from "../lib/dev/sim/http";
import { registerHolders } from "../lib/dev/sim/holders";
import { runHolderFlow, type FlowStep } from "../lib/dev/sim/holder-flow";
import { Recorder, commandLine, machine } from "../lib/dev/sim/stats";
import { startOnePortal } from "./lib/one-portal";
import { onePortalOptions, useConfigOf } from "./lib/env";
import { portalCpu, spent } from "./lib/cpu";

/**
 * `npx tsx bench/step-cpu.ts [--holders 40] [--db postgresql://…/postgres] [--port N] [--root DIR] [--cpu-prof DIR]`
 *
 * A lead for #22's flow capacity, not a figure of it: what each step of the holder flow costs the machine.
 * Holders go through the wizard one after the other (one request in flight at a time, against `npm start`'s
 * portal with one process), and around every step the bench reads the on-CPU time of the portal's server
 * process and of every PostgreSQL process (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds), and the
 * statements the portal's database ran (`pg_stat_statements` when the server preloads it). Prints per step:
 * portal CPU ms, database CPU ms (every PostgreSQL process, its background workers too: an upper bound), statements,
 * and the sum per renewal.
 */

const { values: args } = parseArgs({
  options: {
    holders: { type: "string", default: "40" },
    ...onePortalOptions,
    "cpu-prof": { type: "string" },
  },
});
const N = Number(args.holders);

console.log(`$ ${commandLine()}`);
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

const run = await startOnePortal({ db: args.db, port: args.port, root: args.root, cpuProf: args["cpu-prof"] });
const { portal, statements, hasStatements } = run;

try {
  const config = useConfigOf(portal, run.databaseUrl);
  const ca = await loadCa(config);
  const db = await openDb({ url: run.databaseUrl });
  const holders = await registerHolders(db.prisma, ca, N + 3);
  await db.close();
  // warm-up: every route loaded once
  for (const h of holders.slice(N)) await runHolderFlow(new HolderClient({ base: portal.base }), h, new Recorder());

  const cost = new Map<FlowStep, { portal: number; db: number; statements: number; n: number }>();
  let last: { step: FlowStep; portal: Map<string, number>; db: Map<string, number>; statements: number } | undefined;
  const settle = async () => {
    // the portal's background work after an answer (the emulator's notification, jobs) belongs to the step
    await new Promise((r) => setTimeout(r, 30));
  };
  const mark = async (step: FlowStep | undefined) => {
    await settle();
    const now = { portal: portalCpu(), db: run.dbCpu(), statements: await statements() };
    if (last) {
      const c = cost.get(last.step) ?? { portal: 0, db: 0, statements: 0, n: 0 };
      c.portal += spent(last.portal, now.portal);
      c.db += spent(last.db, now.db);
      c.statements += now.statements - last.statements - (hasStatements ? 1 : 0); // this bench's own query
      c.n++;
      cost.set(last.step, c);
    }
    last = step ? { step, ...now } : undefined;
  };
  for (const h of holders.slice(0, N)) {
    const client = new HolderClient({ base: portal.base, forwardedFor: `10.9.${h.index >> 8}.${h.index & 255}` });
    const r = await runHolderFlow(client, h, new Recorder(), { think: mark, pollMs: 100 });
    await mark(undefined);
    if (!r.completed.includes("installed")) throw new Error(`holder ${h.index} stopped after ${r.completed.at(-1)}`);
  }

  console.log(`\n${N} holders one after the other; per step, mean per call (portal: one process)`);
  console.log("step                calls/renewal  portal CPU ms  database CPU ms  statements");
  let sum = { portal: 0, db: 0, statements: 0 };
  for (const [step, c] of cost) {
    const per = c.n / N;
    console.log(
      `${step.padEnd(20)}${per.toFixed(1).padStart(13)}${(c.portal / c.n / 1e6).toFixed(2).padStart(15)}${(c.db / c.n / 1e6).toFixed(2).padStart(17)}${(c.statements / c.n).toFixed(1).padStart(12)}`,
    );
    sum = { portal: sum.portal + c.portal, db: sum.db + c.db, statements: sum.statements + c.statements };
  }
  console.log(
    `per renewal: portal ${(sum.portal / N / 1e6).toFixed(1)} ms CPU, database ${(sum.db / N / 1e6).toFixed(1)} ms CPU, ${(sum.statements / N).toFixed(0)} statements${hasStatements ? "" : " (pg_stat_statements not preloaded: not counted)"}`,
  );
  console.log(
    `→ the renewals/s two cores could carry with the portal's CPU alone: ${(2e3 / (sum.portal / N / 1e6)).toFixed(1)} (the database column includes PostgreSQL's background workers: an upper bound)`,
  );
} finally {
  await run.stop();
}
