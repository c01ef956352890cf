import "@/tests/helpers/env";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig, resetConfig } from "@/lib/config";
import { openDb, type OpenDb } from "@/lib/db/client";
import { setProcessDb, type Db } from "@/lib/db";
import { OrderState } from "@/lib/generated/prisma/client";
import { verifyAuditChain } from "@/lib/audit";
import { forgetOcsp } from "@/lib/pki/ocsp";
import { resetCa } from "@/lib/pki/ca";
import { issueAndInstall, runHolderFlow, type FlowStep } from "@/lib/dev/sim/holder-flow";
import { signChallenge, type SimHolder } from "@/lib/dev/sim/holders";
import { freshDatabase } from "@/lib/dev/sim/portal";
import { Recorder } from "@/lib/dev/sim/stats";
import type { HolderClient } from "@/lib/dev/sim/http";
import { onPostgres } from "@/tests/helpers/db";
import { openssl, writePem } from "@/tests/helpers/pki";
import { startWorld, type World } from "@/tests/faults/helpers/world";
import { backup, openSecrets, readBackup, restore, secretsOf } from "@/scripts/lib/backup";

/**
 * A portal with orders in every state is backed up (pg_dump on PostgreSQL, PGlite's data directory otherwise; the
 * CA directory; the sealed secrets), wiped, and restored into an empty database and CA directory. Then the audit
 * chain verifies, an OCSP answer is byte for byte the one from before, a holder paid before the backup gets the
 * certificate, and a holder who had not started renews from the beginning.
 */

const PASSPHRASE = "backup passphrase for the test";
const STATES = Object.values(OrderState);
/** States no HTTP flow of the sandbox reaches quickly: set on spare drafts directly (an ended order is no longer open). */
const SET_DIRECTLY = ["submitted", "issuing", "cancelled", "expired", "refund_pending", "refunded"] as const;
const ENDED = new Set(["cancelled", "expired", "refunded"]);

let w: World;
let tmp: string;
let restored: OpenDb | undefined;
let restoredPg: { url: string; drop(): Promise<void> } | undefined;
let holders: SimHolder[];
const orderOf = new Map<string, string>();

async function login(c: HolderClient, h: SimHolder): Promise<void> {
  const { challenge } = await c.ok<{ challenge: string }>("POST", "/api/renew/challenge", {
    json: { serial: h.serial },
  });
  const r = await c.ok<{ csrfToken: string }>("POST", "/api/renew/login", {
    json: { challenge, signature: signChallenge(h.key, challenge) },
  });
  c.csrfToken = r.csrfToken;
}

/** POSTs the OCSP request for `serial` (made by openssl) to the portal and returns the answer's bytes. */
async function ocspAnswer(reqDer: Buffer): Promise<Buffer> {
  const res = await fetch(`${w.base}/ocsp`, {
    method: "POST",
    headers: { "content-type": "application/ocsp-request" },
    body: new Uint8Array(reqDer),
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe("backup and restore", () => {
  beforeAll(async () => {
    w = await startWorld();
    tmp = mkdtempSync(path.join(os.tmpdir(), "certrenew-backup-"));
    holders = await w.holders(8 + SET_DIRECTLY.length);
  }, 120_000);
  afterAll(async () => {
    await restored?.close();
    await restoredPg?.drop();
    await w?.close().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("backs up orders in every state, restores them into an empty database, and the portal carries on", async () => {
    const rec = new Recorder();
    const reach = async (h: SimHolder, until?: FlowStep) => {
      const r = await runHolderFlow(w.client(), h, rec, { until, pollMs: 100, paidTimeoutMs: 30_000 });
      orderOf.set(h.serial, r.orderId!);
      return r;
    };
    // through the HTTP API: draft, awaiting_payment, paid, issued, installed (two: one for OCSP)
    const [hDraft, hAwaiting, hPaid, hIssued, hInstalled, hOcsp, hLater] = holders;
    await reach(hDraft, "handler");
    await reach(hAwaiting, "payment");
    await reach(hPaid, "payment-status");
    await reach(hIssued, "issue");
    await reach(hInstalled);
    const ocspFlow = await reach(hOcsp);
    // the rest: spare drafts put into the remaining states
    const spares = holders.slice(8);
    for (const [i, state] of SET_DIRECTLY.entries()) {
      const { orderId } = await reach(spares[i], "handler");
      if (ENDED.has(state))
        await w.db
          .$executeRaw`UPDATE "RenewalOrder" SET state = ${state}::"OrderState", "openCertificateId" = NULL WHERE id = ${orderId}`;
      else await w.db.$executeRaw`UPDATE "RenewalOrder" SET state = ${state}::"OrderState" WHERE id = ${orderId}`;
    }
    const before = await w.db.renewalOrder.groupBy({ by: ["state"], _count: true });
    expect(new Set(before.map((b) => b.state))).toEqual(new Set(STATES));
    const auditBefore = await w.db.auditEvent.count();
    expect((await verifyAuditChain(w.db)).ok).toBe(true);

    // an OCSP request for the installed certificate, and its answer before the backup
    const cert = await w.db.certificate.findFirstOrThrow({ where: { serial: ocspFlow.issuedSerial } });
    const pem = writePem(tmp, { issuer: w.ca.issuingCert, cert: Buffer.from(cert.der) });
    const reqFile = path.join(tmp, "ocsp.req");
    openssl(["ocsp", "-issuer", pem.issuer, "-cert", pem.cert, "-no_nonce", "-reqout", reqFile]);
    const reqDer = readFileSync(reqFile);
    const answerBefore = await ocspAnswer(reqDer);

    // back up
    const config = getConfig();
    const dir = path.join(tmp, "backup");
    const manifest = await backup({
      dir,
      db: onPostgres ? { url: w.opened.url! } : { pglite: w.opened.pglite! },
      caDir: config.caDir,
      dataDir: config.dataDir,
      secrets: secretsOf(process.env),
      passphrase: PASSPHRASE,
    });
    expect(manifest.database).toBe(onPostgres ? "postgresql" : "pglite");
    expect(manifest.migrations.length).toBeGreaterThan(0);
    expect(readdirSync(path.join(dir, "ca")).sort()).toEqual(readdirSync(config.caDir).sort());
    // the secrets are sealed: not readable without the passphrase, complete with it
    const sealed = readFileSync(path.join(dir, "secrets.enc"), "utf8");
    expect(sealed).not.toContain(config.SESSION_SECRET);
    expect(() => openSecrets(sealed, "wrong passphrase!!")).toThrow(/BACKUP_PASSPHRASE/);
    expect(openSecrets(sealed, PASSPHRASE).env.FIELD_ENCRYPTION_KEY).toBe(config.FIELD_ENCRYPTION_KEY);
    // a damaged file is caught before anything is restored
    const damaged = path.join(tmp, "damaged");
    const source = onPostgres ? { url: w.opened.url! } : { pglite: w.opened.pglite! };
    await backup({ dir: damaged, db: source, caDir: config.caDir, secrets: {}, passphrase: PASSPHRASE });
    writeFileSync(path.join(damaged, "ca", "issuing.cer"), "x");
    expect(() => readBackup(damaged)).toThrow(/damaged/);

    // wipe: the database and the CA directory are gone
    await w.opened.close();
    rmSync(config.caDir, { recursive: true, force: true });

    // restore into an empty database and an empty CA directory
    const caDir = path.join(tmp, "ca-restored");
    let target;
    if (onPostgres) {
      const base = new URL(w.opened.url!);
      base.pathname = "/postgres";
      restoredPg = await freshDatabase(base.toString(), "certrenew_restore");
      target = { url: restoredPg.url };
    } else {
      target = { pgliteDir: path.join(tmp, "pglite-restored") };
    }
    const { secrets } = await restore({ dir, target, caDir, passphrase: PASSPHRASE });
    // a second restore over it is refused: restore only fills empty places
    await expect(restore({ dir, target, caDir, passphrase: PASSPHRASE })).rejects.toThrow(/not empty/);
    restored = await openDb("url" in target ? { url: target.url } : { pgliteDir: target.pgliteDir });
    const db = restored.prisma as Db;

    // the portal now runs on what was restored (its secrets, its CA directory, its database)
    for (const [k, v] of Object.entries(secrets.env)) process.env[k] = v;
    process.env.CA_DIR = caDir;
    resetConfig();
    resetCa();
    setProcessDb(restored);
    forgetOcsp(cert.serial);
    expect(existsSync(path.join(caDir, "issuing.key.pem"))).toBe(true);

    const after = await db.renewalOrder.groupBy({ by: ["state"], _count: true });
    expect(after.sort((a, b) => a.state.localeCompare(b.state))).toEqual(
      before.sort((a, b) => a.state.localeCompare(b.state)),
    );
    expect(await db.auditEvent.count()).toBe(auditBefore);
    expect((await verifyAuditChain(db)).ok).toBe(true);
    expect((await ocspAnswer(reqDer)).equals(answerBefore)).toBe(true);

    // the holder who had paid gets the certificate; a holder who had not started renews from the beginning
    const c = w.client();
    await login(c, hPaid);
    await issueAndInstall(c, hPaid.key, orderOf.get(hPaid.serial)!);
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: orderOf.get(hPaid.serial)! } })).state).toBe(
      "installed",
    );
    const fresh = await runHolderFlow(w.client(), hLater, rec, { pollMs: 100, paidTimeoutMs: 30_000 });
    expect(fresh.completed).toContain("installed");
    expect((await verifyAuditChain(db)).ok).toBe(true);
  }, 180_000);
});
