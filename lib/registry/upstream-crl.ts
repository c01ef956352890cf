import { verify, X509Certificate } from "node:crypto";
import type { Db } from "../db";
import { HOUR, type Clock } from "../clock";
import type { Job } from "../jobs/scheduler";
import { withTx } from "../audit";
import { children, content, read, readAll, readOid, type Node } from "../pki/der";
import { formatName } from "../pki/name";
import { upstreamFetch } from "../pki/issuers/http";
import { recordUpstreamRevocation } from "../pki/revocation-intents";
import { pemBlocks } from "../pki/x509";

/**
 * RA mode: certificates are revoked elsewhere too (at the operator's counter, by its CA's staff). This job reads
 * the upstream CA's CRL, checks its signature against the issuing CA certificate the registry holds (the chain
 * stored with the certificates it issued; nothing to check against means nothing is applied), and marks every listed certificate of that issuer revoked in the registry (and a pending revocation
 * intent for it confirmed).
 */

const HASH: Record<string, string> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
};

export interface ParsedCrl {
  issuerDn: string;
  thisUpdate: Date;
  entries: { serial: string; revokedAt: Date; reason: number }[];
}

function timeOf(n: Node): Date {
  const s = content(n).toString("latin1");
  const full = n.tag === 0x17 ? (Number(s.slice(0, 2)) >= 50 ? "19" : "20") + s : s;
  return new Date(
    `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}T${full.slice(8, 10)}:${full.slice(10, 12)}:${full.slice(12, 14)}Z`,
  );
}

const REASON_OID = "2.5.29.21";

/** Reads a DER CRL; `verifyWith` checks its signature (throws when it does not verify). */
export function readCrl(der: Buffer, verifyWith: (issuerDn: string) => X509Certificate | null): ParsedCrl {
  const root = readAll(der);
  const [tbs, algId, sig] = children(root);
  const f = children(tbs);
  const issuerDn = formatName(f[f[0].tag === 0x02 ? 2 : 1]);
  const issuer = verifyWith(issuerDn);
  if (!issuer) throw new Error(`upstream CRL: no issuing CA certificate on record for ${issuerDn}`);
  const hash = HASH[readOid(children(algId)[0])];
  if (!hash) throw new Error("CRL signed with an unsupported algorithm");
  const signature = content(sig).subarray(1);
  if (!verify(hash, der.subarray(tbs.start, tbs.end), issuer.publicKey, signature))
    throw new Error("the CRL's signature does not verify with the issuing CA");
  let i = f[0].tag === 0x02 ? 1 : 0; // version
  i++; // signature algorithm
  i++; // issuer
  const thisUpdate = timeOf(f[i++]);
  if (f[i] && (f[i].tag === 0x17 || f[i].tag === 0x18)) i++; // nextUpdate
  const entries: ParsedCrl["entries"] = [];
  if (f[i] && f[i].tag === 0x30) {
    for (const entry of children(f[i])) {
      const [serial, date, exts] = children(entry);
      let reason = 0;
      for (const ext of exts ? children(exts) : []) {
        const parts = children(ext);
        if (readOid(parts[0]) === REASON_OID) reason = content(read(content(parts[parts.length - 1])))[0] ?? 0;
      }
      entries.push({ serial: content(serial).toString("hex"), revokedAt: timeOf(date), reason });
    }
  }
  return { issuerDn, thisUpdate, entries };
}

/** One pass: fetch, check, apply. Returns how many certificates it marked revoked. */
export async function applyUpstreamCrl(
  db: Db,
  url: string,
  clock: Clock,
  timeoutMs = 15_000,
): Promise<{ listed: number; marked: number }> {
  const res = await upstreamFetch(url, { method: "GET", timeoutMs });
  if (res.status !== 200) throw new Error(`upstream CRL: HTTP ${res.status}`);
  const der = res.body[0] === 0x30 ? res.body : (pemBlocks(res.body.toString("latin1"), "X509 CRL")[0] ?? res.body);
  // the issuer: the CA certificate stored with the upstream's certificates (chainDer, issuing CA first)
  const chains = await db.certificate.findMany({
    where: { chainDer: { not: null } },
    distinct: ["issuerDn"],
    select: { issuerDn: true, chainDer: true },
    take: 50,
  });
  const crl = readCrl(der, (issuerDn) => {
    const chain = chains.find((c) => c.issuerDn === issuerDn)?.chainDer;
    if (!chain) return null;
    const b = Buffer.from(chain);
    return new X509Certificate(b.subarray(0, read(b).end));
  });
  let marked = 0;
  for (const e of crl.entries) {
    const serials = [e.serial, e.serial.replace(/^00/, "")];
    const cert = await db.certificate.findFirst({
      where: { serial: { in: serials }, issuerDn: crl.issuerDn, status: { not: "revoked" } },
      select: { id: true },
    });
    if (!cert) continue;
    await withTx(db, async (tx) => {
      const changed = await recordUpstreamRevocation(tx, {
        certificateId: cert.id,
        reason: e.reason,
        revokedAt: e.revokedAt,
        actor: { type: "system", id: "registry.upstream-crl" },
        clock,
        source: "upstream CRL",
      });
      if (changed) marked++;
      await tx.upstreamRevocation.updateMany({
        where: { certificateId: cert.id, state: "pending" },
        data: { state: "confirmed", confirmedAt: clock.now(), leaseUntil: null, leaseOwner: null },
      });
    });
  }
  return { listed: crl.entries.length, marked };
}

export const upstreamCrlJob = (url: string, timeoutMs: number): Job => ({
  name: "registry.upstream-crl",
  everyMs: HOUR,
  leaseMs: 10 * 60_000,
  run: (db, clock) => applyUpstreamCrl(db, url, clock, timeoutMs),
});
