/**
 * 下证 on the server per second, by issuer, in one run: the portal's own CA (ISSUER=builtin) against the operator's
 * CA upstream (RA mode: a real `cfssl serve` started here, and OpenSSL's CMP mock server `openssl cmp -port …`
 * started here). Each renewal is the whole server step of 下证: the issue challenge, proof of possession by the old
 * key, CSR checks, the two committed steps and, in RA mode, the upstream exchange outside the transaction, its audit
 * events and the recorded certificate.
 *
 * The CMP mock answers every request with one fixed certificate, so before each cmp renewal its CA issues the
 * certificate for that CSR's key and the mock is restarted with it (p10cr: OpenSSL 3.0's mock wants a kur to keep
 * the old serial, which the registry cannot hold). That preparation is outside the measured time and makes the cmp
 * leg sequential: its rate is renewals per second of time spent in 下证 itself, one at a time.
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
import {
  CMP_MOCK_MAC_ARGS,
  CMP_MOCK_REF,
  CMP_MOCK_SECRET,
  cmpMockAnswer,
  createCmpMockPki,
  startCmpMock,
  type CmpMock,
} from "../lib/dev/testing/cmp-mock";
import { writeFileSync, rmSync } from "node:fs";
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
const CMP_PORT = 31950;

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

async function run(
  label: string,
  by: { ca: typeof ca } | { upstream: UpstreamIssuer },
  /** made ready for renewal i (outside the measured time); renewals then run one at a time */
  prepare?: (csr: Buffer) => Promise<void>,
) {
  const orders = await ordersFor(label, COUNT);
  const keys = orders.map(() => newKeyAndCsr());
  const concurrency = prepare ? 1 : CONCURRENCY;
  let next = 0;
  let failed = 0;
  let preparing = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < orders.length) {
        const i = next++;
        const { h, orderId, serial } = orders[i];
        const csr = keys[i].csr;
        if (prepare) {
          const p = performance.now();
          await prepare(csr);
          preparing += performance.now() - p;
        }
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
  const s = (performance.now() - t - preparing) / 1000;
  const ok = COUNT - failed;
  console.log(
    `${label.padEnd(8)} ${String(Math.round(ok / s)).padStart(6)} renewals/s  (${ok} in ${s.toFixed(1)} s, ${concurrency} at once, ${failed} failed, ${((s * 1000 * concurrency) / COUNT).toFixed(1)} ms each${prepare ? `; ${(preparing / 1000).toFixed(1)} s of mock preparation not counted` : ""})`,
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
    await peer.stop();
  }
}
if (wanted.includes("cmp")) {
  const pki = createCmpMockPki();
  let mock: CmpMock | undefined;
  let n = 0;
  try {
    const upstream = createCmpIssuer(
      {
        serverUrl: `http://127.0.0.1:${CMP_PORT}/pkix/`,
        ref: CMP_MOCK_REF,
        secret: CMP_MOCK_SECRET,
        trustedFile: pki.file("root.crt"),
        renewalRequest: "p10cr",
        timeoutMs: 15_000,
      },
      { db: async () => db },
    );
    await run("cmp", { upstream }, async (csr) => {
      const name = `r${++n}`;
      writeFileSync(
        pki.file(`${name}.csr`),
        `-----BEGIN CERTIFICATE REQUEST-----\n${csr.toString("base64").replace(/(.{64})(?=.)/g, "$1\n")}\n-----END CERTIFICATE REQUEST-----\n`,
      );
      pki.issue(name, { ca: "issuing", ext: "ee" });
      await mock?.stop();
      mock = await startCmpMock(pki, [...CMP_MOCK_MAC_ARGS, ...cmpMockAnswer(name)], CMP_PORT);
    });
  } finally {
    await mock?.stop();
    rmSync(pki.dir, { recursive: true, force: true });
  }
}
console.log(`database: ${open.kind}`);
await open.close();
process.exit(0);
