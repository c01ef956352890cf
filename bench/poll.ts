import { parseArgs } from "node:util";
import { openDb } from "../lib/db/client";
import { loadCa } from "../lib/pki/ca";
import { HolderClient } from "../lib/dev/sim/http";
import { registerHolders } from "../lib/dev/sim/holders";
import { runHolderFlow } from "../lib/dev/sim/holder-flow";
import { Recorder, commandLine, machine } from "../lib/dev/sim/stats";
import { startOnePortal } from "./lib/one-portal";
import { dbOption, useConfigOf } from "./lib/env";
import { portalCpu, spent } from "./lib/cpu";

/**
 * `npx tsx bench/poll.ts [--orders 40] [--seconds 10] [--rounds 3] [--db postgresql://…/postgres] [--port N] [--root DIR] [--cpu-prof DIR]`
 *
 * A lead for #22's human-pace row, not a figure of it: what the payment page's poll (`GET /api/renew/payment`, every
 * 2 s while the QR code is shown; ~8–9 per renewal at human pace) costs `npm start`'s portal, against
 * `GET /api/health` (the cheapest dynamic route) in the same run. `--orders` holders are taken to the QR code (the
 * order awaiting payment), then that many clients poll their own order back to back for `--seconds`, alternating with
 * as many clients asking `/api/health`, `--rounds` times. Printed per round and route: requests/s and the portal's
 * and PostgreSQL's CPU per request (one portal process, so the figures are one process's), statements per request.
 */

const { values: args } = parseArgs({
  options: {
    orders: { type: "string", default: "40" },
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    db: dbOption,
    port: { type: "string" },
    root: { type: "string" },
    /** write the portal process's CPU profile into DIR (bench/lib/cpu-profile.cjs); the health rows are left out */
    "cpu-prof": { type: "string" },
  },
});
const N = Number(args.orders);
const SECONDS = Number(args.seconds);

console.log(`$ ${commandLine()}`);
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

const profile = args["cpu-prof"];
const run = await startOnePortal({ db: args.db, port: args.port, root: args.root, cpuProf: profile });
const { portal, statements } = run;

/** `clients` loops sending `send` back to back for `SECONDS`; what it cost the portal and PostgreSQL per request */
async function measure(label: string, clients: HolderClient[], path: (i: number) => string) {
  const before = { portal: portalCpu(), db: run.dbCpu(), statements: await statements() };
  const until = performance.now() + SECONDS * 1000;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      while (performance.now() < until) {
        const r = await c.request("GET", path(i));
        if (r.status !== 200) throw new Error(`${label} → ${r.status} ${r.text.slice(0, 200)}`);
        n++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = { portal: portalCpu(), db: run.dbCpu(), statements: await statements() };
  console.log(
    `${label.padEnd(26)}${(n / seconds).toFixed(0).padStart(8)}/s  portal ${(spent(before.portal, after.portal) / n / 1e6).toFixed(2)} ms  PostgreSQL ${(spent(before.db, after.db) / n / 1e6).toFixed(2)} ms  ${((after.statements - before.statements - 1) / n).toFixed(1)} statements per request`,
  );
}

try {
  const config = useConfigOf(portal, run.databaseUrl);
  const ca = await loadCa(config);
  const db = await openDb({ url: run.databaseUrl });
  const holders = await registerHolders(db.prisma, ca, N);
  await db.close();
  const clients: HolderClient[] = [];
  const orders: string[] = [];
  for (const h of holders) {
    const client = new HolderClient({ base: portal.base, forwardedFor: `10.9.${h.index >> 8}.${h.index & 255}` });
    const r = await runHolderFlow(client, h, new Recorder(), { until: "payment" });
    if (!r.orderId) throw new Error(`holder ${h.index}: no order`);
    clients.push(client);
    orders.push(r.orderId);
  }
  const health = holders.map(() => new HolderClient({ base: portal.base }));
  console.log(
    `\n${N} orders awaiting payment; ${N} clients per route, back to back, ${SECONDS} s per row (one portal process)`,
  );
  for (let round = 1; round <= Number(args.rounds); round++) {
    await measure(`round ${round} payment poll`, clients, (i) => `/api/renew/payment?orderId=${orders[i]}`);
    if (!profile) await measure(`round ${round} /api/health`, health, () => "/api/health");
  }
} finally {
  await run.stop();
}
