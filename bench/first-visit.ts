import http from "node:http";
import { parseArgs } from "node:util";
import { commandLine, machine, percentile } from "../lib/dev/sim/stats";
import { decoded } from "../lib/dev/sim/http";
import { staticFiles } from "../lib/dev/sim/pages";
import { startOnePortal } from "./lib/one-portal";
import { onePortalOptions } from "./lib/env";
import { portalCpu, spent } from "./lib/cpu";

/**
 * `npx tsx bench/first-visit.ts [--visitors 20] [--seconds 10] [--db postgresql://…/postgres] [--port N] [--root DIR]`
 *
 * What a holder's first visit costs the portal: the wizard's first page (/renew) as a document, then every script and style sheet its HTML
 * names under /_next/static, fetched as a browser with an empty cache does (Accept-Encoding: gzip, deflate, br, zstd;
 * six connections per visitor, kept alive). `--visitors` visits at once, each visitor starting a new visit (new
 * connections) when its last one ends, for `--seconds`, against `npm start`'s portal in one process on a fresh
 * PostgreSQL database. Prints visits/s, the portal's CPU per visit, the bytes on the wire and the latency of the
 * document and of the files. `--root` measures another checkout's build (its own `npm run build`), for a side by
 * side in the same hour.
 */

const { values: args } = parseArgs({
  options: {
    visitors: { type: "string", default: "20" },
    seconds: { type: "string", default: "10" },
    ...onePortalOptions,
  },
});
const VISITORS = Number(args.visitors);
const SECONDS = Number(args.seconds);
const PAGE = "/renew";
const BROWSER_HEADERS = {
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "accept-encoding": "gzip, deflate, br, zstd",
  "accept-language": "zh-CN,zh;q=0.9",
  "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) certrenew-bench",
};

console.log(`$ ${commandLine()}`);
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

function get(
  agent: http.Agent,
  url: string,
): Promise<{ status: number; bytes: number; ms: number; body: Buffer; coding?: string }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: BROWSER_HEADERS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        const coding = res.headers["content-encoding"];
        resolve({ status: res.statusCode ?? 0, bytes: body.length, ms: performance.now() - t, body, coding });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const run = await startOnePortal({ db: args.db, port: args.port, root: args.root });
try {
  const base = run.portal.base;
  const visit = async (docMs: number[], fileMs: number[]) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    try {
      const doc = await get(agent, base + PAGE);
      if (doc.status !== 200) throw new Error(`${PAGE}: ${doc.status}`);
      docMs.push(doc.ms);
      const files = staticFiles(decoded(doc.coding, doc.body).toString());
      const got = await Promise.all(files.map((f) => get(agent, base + f)));
      for (const g of got) {
        if (g.status !== 200) throw new Error(`a static file: ${g.status}`);
        fileMs.push(g.ms);
      }
      return { files: got.length, bytes: doc.bytes + got.reduce((n, g) => n + g.bytes, 0) };
    } finally {
      agent.destroy();
    }
  };
  // warm-up: every file read (and compressed, where the portal does that) once, the page's code optimised
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: VISITORS }, () => visit([], [])));
  await new Promise((r) => setTimeout(r, 2000));

  const docMs: number[] = [];
  const fileMs: number[] = [];
  let visits = 0;
  let files = 0;
  let bytes = 0;
  let errors = 0;
  const cpu0 = portalCpu();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: VISITORS }, async () => {
      while (performance.now() < end) {
        try {
          const v = await visit(docMs, fileMs);
          visits++;
          files += v.files;
          bytes += v.bytes;
        } catch {
          errors++;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpuMs = spent(cpu0, portalCpu()) / 1e6;
  docMs.sort((a, b) => a - b);
  fileMs.sort((a, b) => a - b);
  console.log(
    `${PAGE}: ${visits} first visits in ${wall.toFixed(1)} s with ${VISITORS} at once (${(visits / wall).toFixed(1)} visits/s), ${errors} errors; each: the document and ${(files / Math.max(1, visits)).toFixed(0)} files, ${(bytes / Math.max(1, visits) / 1024).toFixed(0)} KB on the wire`,
  );
  console.log(
    `portal CPU per visit ${(cpuMs / Math.max(1, visits)).toFixed(2)} ms (one process); document p50 ${percentile(docMs, 50).toFixed(1)} ms p99 ${percentile(docMs, 99).toFixed(1)} ms; files p50 ${percentile(fileMs, 50).toFixed(1)} ms p99 ${percentile(fileMs, 99).toFixed(1)} ms`,
  );
} finally {
  await run.stop();
}
process.exit(0);
