/**
 * 下证 on the server per second, by issuer, in one run: the portal's own CA (ISSUER=builtin) against the operator's
 * CA upstream (RA mode: a real `cfssl serve` started here; CMP when its client is in the build and CMP_SERVER_URL
 * names a running server, e.g. `openssl cmp -port …`). Each renewal is the whole server step of 下证: the issue
 * challenge, proof of possession by the old key, CSR checks, the two committed steps and, in RA mode, the upstream
 * exchange outside the transaction, its audit event and the recorded certificate.
 *
 *   npx tsx bench/renew-issuers.ts [--count 300] [--concurrency 8] [--issuers builtin,cfssl,cmp]
 *   DATABASE_URL=postgresql://… npx tsx bench/renew-issuers.ts     (PostgreSQL; else in-memory PGlite)
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { useTestEnv } from "../lib/dev/testing/env";
import { getConfig } from "../lib/config";
import { systemClock } from "../lib/clock";
import { createTestDb } from "../lib/dev/testing/db";
import { createTestCa } from "../lib/dev/testing/pki";
import { startCfssl } from "../lib/dev/testing/cfssl";
import { registerHolders, newKeyAndCsr, signChallenge, handlerFor } from "../lib/dev/sim/holders";
import { ensureDefaultFeeTiers } from "../lib/fees/tiers";
import { createDraftOrder, submitOrder } from "../lib/renewal/create-order";
import { issueForOrder } from "../lib/renewal/issue-order";
import { issueChallenge } from "../lib/renewal/pop";
import { sha256Hex } from "../lib/pki/x509";
import { createCfsslIssuer } from "../lib/pki/issuers/cfssl";
import { createCmpIssuer } from "../lib/pki/issuers/cmp-factory";
import type { UpstreamIssuer } from "../lib/pki/issuers/types";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "300" },
    concurrency: { type: "string", default: "8" },
    issuers: { type: "string", default: "builtin,cfssl,cmp" },
  },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const CFSSL_PORT = 31450;

useTestEnv();
console.log(`command: ${process.argv.join(" ")}`);
console.log(
  `node ${process.version}, ${os.cpus().length} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}, db=${process.env.DATABASE_URL ? "postgresql" : "pglite (in-memory)"}`,
);

const open = await createTestDb();
const db = open.prisma;
await ensureDefaultFeeTiers(db, systemClock);
const { ca } = await createTestCa();
const actor = { type: "holder" as const, id: null, ip: "127.0.0.1", userAgent: "bench" };
const origin = getConfig().publicOrigin;

/** N holders with a submitted unified-payment order each (ready for 下证). */
async function ordersFor(label: string, n: number) {
  const holders = await registerHolders(db, ca, n, { payerClass: "unified", prefix: `${label}证书` });
  const out = [];
  for (const [i, h] of holders.entries()) {
    const certificate = await db.certificate.findUniqueOrThrow({ where: { id: h.certificateId } });
    const draft = await createDraftOrder(db, {
      keys: getConfig(),
      certificate,
      handler: handlerFor(i),
      actor,
      clock: systemClock,
      locale: "zh-CN",
    });
    const order = await submitOrder(db, { orderId: draft.id, actor, clock: systemClock });
    out.push({ h, orderId: order.id, serial: certificate.serial });
  }
  return out;
}

async function run(label: string, by: { ca: typeof ca } | { upstream: UpstreamIssuer }) {
  const orders = await ordersFor(label, COUNT);
  const keys = orders.map(() => newKeyAndCsr());
  let next = 0;
  let failed = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < orders.length) {
        const i = next++;
        const { h, orderId, serial } = orders[i];
        const csr = keys[i].csr;
        try {
          const { text } = await issueChallenge(db, {
            serial,
            origin,
            purpose: "issue",
            clock: systemClock,
            csrSha256: sha256Hex(csr),
          });
          await issueForOrder(db, {
            orderId,
            csrDer: csr,
            challengeText: text,
            signatureB64: signChallenge(h.key, text),
            origin,
            actor,
            clock: systemClock,
            ...("ca" in by ? { ca: by.ca } : { upstream: { upstream: by.upstream } }),
          });
        } catch (e) {
          if (failed++ === 0) console.error(`${label}: first failure: ${(e as Error).message}`);
        }
      }
    }),
  );
  const s = (performance.now() - t) / 1000;
  const ok = COUNT - failed;
  console.log(
    `${label.padEnd(8)} ${String(Math.round(ok / s)).padStart(6)} renewals/s  (${ok} in ${s.toFixed(1)} s, ${CONCURRENCY} at once, ${failed} failed, ${((s * 1000 * CONCURRENCY) / COUNT).toFixed(1)} ms each)`,
  );
}

const wanted = values.issuers.split(",");
if (wanted.includes("builtin")) await run("builtin", { ca });
if (wanted.includes("cfssl")) {
  const peer = await startCfssl({ port: CFSSL_PORT });
  try {
    await run("cfssl", {
      upstream: createCfsslIssuer({
        url: peer.url,
        authKeyHex: peer.authKeyHex,
        profile: peer.profile,
        timeoutMs: 15_000,
      }),
    });
  } finally {
    peer.stop();
  }
}
if (wanted.includes("cmp")) {
  const c = getConfig();
  if (!createCmpIssuer) console.log("cmp      skipped: the CMP client (lib/pki/issuers/cmp) is not in this build");
  else if (!c.CMP_SERVER_URL)
    console.log("cmp      skipped: set CMP_SERVER_URL (and CMP_REF/CMP_SECRET) to a CMP server");
  else
    await run("cmp", {
      upstream: createCmpIssuer({
        serverUrl: c.CMP_SERVER_URL,
        ref: c.CMP_REF,
        secret: c.CMP_SECRET,
        certFile: c.CMP_CERT,
        keyFile: c.CMP_KEY,
        trustedFile: c.CMP_TRUSTED,
        timeoutMs: 15_000,
      }),
    });
}
console.log(`database: ${open.kind}`);
await open.close();
process.exit(0);
