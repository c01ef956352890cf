import { DAY, HOUR, SECOND, type Clock } from "@/lib/clock";
import type { Db, Tx } from "@/lib/db";
import type { Job } from "@/lib/jobs/scheduler";
import type { Ca } from "./ca";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { decodePki } from "./asn1";
import { OID } from "./oids";
import { signatureAlgorithmFor } from "./signer";
import { withTx } from "../audit";

/** A CRL is valid for a week and reissued daily (and at once on every revocation). */
const CRL_VALIDITY_MS = 7 * DAY;
const CRL_REFRESH_AFTER_MS = DAY;

// serialises CRL numbering across portal instances (any fixed 64-bit key)
const CRL_LOCK = 4_242_101;

export interface CrlDeps {
  ca: Ca;
  clock: Clock;
}

// by CA: the front asks for every CRL request
const issuers = new WeakMap<Ca, string>();
function crlIssuer(ca: Ca): string {
  let hex = issuers.get(ca);
  if (!hex) issuers.set(ca, (hex = ca.keyId.toString("hex")));
  return hex;
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const crlTime = (d: Date) => new pkijs.Time({ type: d.getUTCFullYear() < 2050 ? 0 : 1, value: d });

const extension = (extnID: string, value: asn1js.AsnType) =>
  new pkijs.Extension({ extnID, critical: false, extnValue: value.toBER(false) });

function entry(serial: string, revokedAt: Date, reason: number | null): pkijs.RevokedCertificate {
  return new pkijs.RevokedCertificate({
    userCertificate: new asn1js.Integer({ valueHex: Buffer.from(serial, "hex") }),
    revocationDate: crlTime(revokedAt),
    // RFC 5280 5.3.1: reason code "unspecified" (0) should be absent
    ...(reason
      ? {
          crlEntryExtensions: new pkijs.Extensions({
            extensions: [extension(OID.crlReason, new asn1js.Enumerated({ value: reason }))],
          }),
        }
      : {}),
  });
}

/**
 * The signed CRL (DER): pkijs builds and encodes the TBSCertList, the CA's Signer signs those bytes (the private
 * key never leaves it), pkijs writes the outer SEQUENCE. Not a hot path: once a day and on each revocation.
 */
async function signCrl(
  ca: Ca,
  crlNumber: number,
  thisUpdate: Date,
  nextUpdate: Date,
  revoked: pkijs.RevokedCertificate[],
): Promise<Buffer> {
  const algorithm = decodePki(
    signatureAlgorithmFor(ca.signer.algorithm),
    (schema) => new pkijs.AlgorithmIdentifier({ schema }),
  ).value;
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    signature: algorithm,
    issuer: decodePki(ca.issuerName, (schema) => new pkijs.RelativeDistinguishedNames({ schema })).value,
    thisUpdate: crlTime(thisUpdate),
    nextUpdate: crlTime(nextUpdate),
    ...(revoked.length ? { revokedCertificates: revoked } : {}),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        extension(
          OID.authorityKeyIdentifier,
          new pkijs.AuthorityKeyIdentifier({
            keyIdentifier: new asn1js.OctetString({ valueHex: ca.keyId }),
          }).toSchema(),
        ),
        extension(OID.crlNumber, new asn1js.Integer({ value: crlNumber })),
      ],
    }),
  });
  crl.signatureAlgorithm = algorithm;
  // toSchema(true) encodes the TBS from the fields (encodeTBS itself is protected in pkijs's types)
  const tbs = new Uint8Array(crl.toSchema(true).valueBlock.value[0].toBER(false));
  crl.tbsView = tbs;
  crl.signatureValue = new asn1js.BitString({
    valueHex: await ca.signer.sign(Buffer.from(tbs.buffer, tbs.byteOffset, tbs.byteLength)),
  });
  return Buffer.from(crl.toSchema().toBER(false));
}

/** Signs a new full CRL (next CRL number) listing every certificate this CA has revoked, and stores it. */
export async function generateCrl(tx: Tx, { ca, clock }: CrlDeps) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CRL_LOCK})`;
  const issuer = crlIssuer(ca);
  const last = await tx.crl.findFirst({
    where: { issuer },
    orderBy: { crlNumber: "desc" },
    select: { crlNumber: true },
  });
  const crlNumber = (last?.crlNumber ?? 0) + 1;
  const revoked = await tx.certificate.findMany({
    where: { status: "revoked", issuerDn: ca.issuerDn },
    select: { serial: true, revokedAt: true, revocationReason: true },
    orderBy: { revokedAt: "asc" },
  });
  const thisUpdate = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
  const entries = revoked.map((r) => entry(r.serial, r.revokedAt ?? thisUpdate, r.revocationReason));
  const der = await signCrl(ca, crlNumber, thisUpdate, nextUpdate, entries);
  return tx.crl.create({ data: { issuer, crlNumber, thisUpdate, nextUpdate, der: new Uint8Array(der) } });
}

/** The newest CRL, reissued first when there is none yet or it is older than a day. For the route and the job. */
export async function currentCrl(db: Db, deps: CrlDeps): Promise<PublishedCrl> {
  const newest = await db.crl.findFirst({ where: { issuer: crlIssuer(deps.ca) }, orderBy: { crlNumber: "desc" } });
  const due = !newest || deps.clock.now().getTime() - newest.thisUpdate.getTime() >= CRL_REFRESH_AFTER_MS;
  const row = due ? await withTx(db, (tx) => generateCrl(tx, deps)) : newest;
  return {
    issuer: row.issuer,
    der: Buffer.from(row.der),
    crlNumber: row.crlNumber,
    thisUpdate: row.thisUpdate,
    nextUpdate: row.nextUpdate,
  };
}

export interface PublishedCrl {
  issuer: string;
  der: Buffer;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

// The CRL as the node:http front serves it (lib/runtime/front.ts): kept in memory and trusted for a second, then
// checked against the newest row's number (an index lookup, no bytes); a revocation signs a new CRL in its
// transaction, so every instance serves it within a second, as with OCSP. On globalThis for the same reason as
// lib/pki/ocsp.ts's memory (the front and Next's bundle each load this module).
const crlMemory = globalThis as unknown as {
  __certrenewCrl?: { crl: PublishedCrl; checkedAt: number };
  __certrenewCrlLoading?: Promise<PublishedCrl>;
};

/**
 * currentCrl() for serving: from memory within a second of the last check (no database, no promise), else checked
 * (one query) or reloaded. `db` is only called then.
 */
export function servedCrl(db: () => Promise<Db>, deps: CrlDeps): Promise<PublishedCrl> | PublishedCrl {
  const now = deps.clock.now().getTime();
  const held = crlMemory.__certrenewCrl;
  const issuer = crlIssuer(deps.ca);
  if (held && held.crl.issuer === issuer && now - held.checkedAt < SECOND) return held.crl;
  crlMemory.__certrenewCrlLoading ??= (async () => {
    const newest = await (
      await db()
    ).crl.findFirst({
      where: { issuer },
      orderBy: { crlNumber: "desc" },
      select: { crlNumber: true, thisUpdate: true },
    });
    const same =
      held &&
      held.crl.issuer === issuer &&
      newest?.crlNumber === held.crl.crlNumber &&
      now - newest.thisUpdate.getTime() < CRL_REFRESH_AFTER_MS;
    const crl = same ? held.crl : await currentCrl(await db(), deps);
    crlMemory.__certrenewCrl = { crl, checkedAt: now };
    return crl;
  })().finally(() => (crlMemory.__certrenewCrlLoading = undefined));
  return crlMemory.__certrenewCrlLoading;
}

/** Scheduled refresh: reissues the CRL when it is a day old. Returns whether a new CRL was signed. */
async function refreshCrlIfDue(db: Db, deps: CrlDeps): Promise<boolean> {
  const before = await db.crl.count({ where: { issuer: crlIssuer(deps.ca) } });
  await currentCrl(db, deps);
  return (await db.crl.count({ where: { issuer: crlIssuer(deps.ca) } })) > before;
}

/**
 * Background refresh (lib/runtime/jobs.ts): checks hourly and reissues the CA's CRL once it is a day old. The
 * scheduler holds the "pki.crl-refresh" lease for the run, so one instance signs; the CRL number is serialised by
 * generateCrl's advisory lock anyway.
 */
export const crlRefreshJob = (ca: () => Promise<Ca>): Job => ({
  name: "pki.crl-refresh",
  everyMs: HOUR,
  run: async (db, clock) => ({ signed: await refreshCrlIfDue(db, { ca: await ca(), clock }) }),
});
