import autocannon from "autocannon";
import { parseArgs } from "node:util";
import { openDb } from "../lib/db/client";
import { loadCa } from "../lib/pki/ca";
import { HolderClient } from "../lib/dev/sim/http";
import { registerHolders } from "../lib/dev/sim/holders";
import { runHolderFlow } from "../lib/dev/sim/holder-flow";
import { navigationRequest } from "../lib/dev/sim/pages";
import { Recorder, commandLine, machine } from "../lib/dev/sim/stats";
import { startOnePortal } from "./lib/one-portal";
import { onePortalOptions, useConfigOf } from "./lib/env";
import { portalCpu, spent } from "./lib/cpu";

/**
 * `npx tsx bench/page-cpu.ts [--seconds 5] [--db postgresql://…/postgres] [--port N] [--root DIR]`
 *
 * A lead for the pages' share of a renewal, not a figure of it: the portal's CPU per request (one process, autocannon
 * with 10 connections for `--seconds`, after a round of the same to warm up) for a page as a document, a step page as
 * an App Router navigation would fetch it (lib/dev/sim/pages.ts; the wizard made one per page change until it drew
 * its pages in the browser), and the summary API the wizard now draws them from, for a holder signed in at the
 * details step. bench/flow.ts --pages is the figure.
 */

const { values: args } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, ...onePortalOptions },
});
const SECONDS = Number(args.seconds);
console.log(`$ ${commandLine()}`);
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

const run = await startOnePortal({ db: args.db, port: args.port, root: args.root });
try {
  const base = run.portal.base;
  const ca = await loadCa(useConfigOf(run.portal, run.databaseUrl));
  const db = await openDb({ url: run.databaseUrl });
  const holders = await registerHolders(db.prisma, ca, 3);
  await db.close();
  for (const h of holders.slice(1)) await runHolderFlow(new HolderClient({ base }), h, new Recorder());
  const client = new HolderClient({ base });
  await runHolderFlow(client, holders[0], new Recorder(), { until: "captcha" });
  const cookie = `cr_holder=${client.cookie("cr_holder")}`;
  const nav = navigationRequest("/renew", "/renew/details");
  const browser = { "accept-encoding": "gzip, deflate, br, zstd", accept: "text/html" };
  const targets: [string, string, Record<string, string>][] = [
    ["GET /faq, document", "/faq", browser],
    ["GET /renew, document", "/renew", browser],
    ["GET /renew/details, document (signed in)", "/renew/details", { ...browser, cookie }],
    [
      "navigation to /renew/details (signed in)",
      nav.path,
      { ...nav.headers, "accept-encoding": browser["accept-encoding"], cookie },
    ],
    ["GET /api/renew/summary (signed in)", "/api/renew/summary", { cookie }],
  ];
  console.log(`${"what".padEnd(44)} ${"answers/s".padStart(9)}  portal CPU per answer`);
  for (const [label, path, headers] of targets) {
    await autocannon({ url: base + path, headers, connections: 10, duration: SECONDS });
    const cpu0 = portalCpu();
    const r = await autocannon({ url: base + path, headers, connections: 10, duration: SECONDS });
    const n = r.requests.total;
    const bad = n - (r["2xx"] ?? 0);
    console.log(
      `${label.padEnd(44)} ${(n / SECONDS).toFixed(0).padStart(9)}  ${(spent(cpu0, portalCpu()) / 1e6 / n).toFixed(2)} ms${bad ? `  (${bad} not 2xx)` : ""}`,
    );
  }
} finally {
  await run.stop();
}
process.exit(0);
