import { DAY, type Clock } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import type { Ca } from "./ca";
import { enumerated, explicit, seq, time, uint } from "./der";
import { OID } from "./oids";
import { signStructure, signatureAlgorithmFor } from "./signer";
import { authorityKeyIdExt, extension } from "./x509";

/** A CRL is valid for a week and reissued daily (and at once on every revocation). */
export const CRL_VALIDITY_MS = 7 * DAY;
export const CRL_REFRESH_AFTER_MS = DAY;

// serialises CRL numbering across portal instances (any fixed 64-bit key)
const CRL_LOCK = 4_242_101;

export interface CrlDeps {
  ca: Ca;
  clock: Clock;
}

const crlIssuer = (ca: Ca) => ca.keyId.toString("hex");

function entry(serial: string, revokedAt: Date, reason: number | null): Buffer {
  // RFC 5280 5.3.1: reason code "unspecified" (0) should be absent
  const ext = reason ? [seq(extension(OID.crlReason, false, enumerated(reason)))] : [];
  return seq(uint(Buffer.from(serial, "hex")), time(revokedAt), ...ext);
}

/** Signs a new full CRL (next CRL number) listing every certificate this CA has revoked, and stores it. */
export async function generateCrl(tx: Tx, { ca, clock }: CrlDeps) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CRL_LOCK})`;
  const issuer = crlIssuer(ca);
  const last = await tx.crl.findFirst({ where: { issuer }, orderBy: { crlNumber: "desc" }, select: { crlNumber: true } });
  const crlNumber = (last?.crlNumber ?? 0) + 1;
  const revoked = await tx.certificate.findMany({
    where: { status: "revoked", issuerDn: ca.issuerDn },
    select: { serial: true, revokedAt: true, revocationReason: true },
    orderBy: { revokedAt: "asc" },
  });
  const thisUpdate = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
  const tbs = seq(
    uint(1),
    signatureAlgorithmFor(ca.signer.algorithm),
    ca.issuerName,
    time(thisUpdate),
    time(nextUpdate),
    ...(revoked.length ? [seq(...revoked.map((r) => entry(r.serial, r.revokedAt ?? thisUpdate, r.revocationReason)))] : []),
    explicit(0, seq(authorityKeyIdExt(ca.keyId), extension(OID.crlNumber, false, uint(crlNumber)))),
  );
  const der = await signStructure(tbs, ca.signer);
  return tx.crl.create({ data: { issuer, crlNumber, thisUpdate, nextUpdate, der: new Uint8Array(der) } });
}

/** The newest CRL, reissued first when there is none yet or it is older than a day. For the route and the job. */
export async function currentCrl(db: Db, deps: CrlDeps): Promise<{ der: Buffer; crlNumber: number; nextUpdate: Date }> {
  const newest = await db.crl.findFirst({ where: { issuer: crlIssuer(deps.ca) }, orderBy: { crlNumber: "desc" } });
  const due = !newest || deps.clock.now().getTime() - newest.thisUpdate.getTime() >= CRL_REFRESH_AFTER_MS;
  const row = due ? await db.$transaction((tx) => generateCrl(tx, deps)) : newest;
  return { der: Buffer.from(row.der), crlNumber: row.crlNumber, nextUpdate: row.nextUpdate };
}

/** Scheduled refresh: reissues the CRL when it is a day old. Returns whether a new CRL was signed. */
export async function refreshCrlIfDue(db: Db, deps: CrlDeps): Promise<boolean> {
  const before = await db.crl.count({ where: { issuer: crlIssuer(deps.ca) } });
  await currentCrl(db, deps);
  return (await db.crl.count({ where: { issuer: crlIssuer(deps.ca) } })) > before;
}
