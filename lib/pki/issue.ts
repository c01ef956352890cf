import { randomBytes, randomUUID } from "node:crypto";
import { appendAudit } from "@/lib/audit";
import type { Clock } from "@/lib/clock";
import { insertRow, sqlRows, uniqueRow, type Sql } from "@/lib/db/lean";
import type { Certificate } from "@/lib/generated/prisma/client";
import type { Ca } from "./ca";
import { assertRekey, type ParsedCsr } from "./csr";
import { profileFor, type CertProfile } from "./profiles";
import { signStructure, signatureAlgorithmFor, keyIdentifier } from "./signer";
import {
  authorityInfoAccessExt,
  authorityKeyIdExt,
  basicConstraintsExt,
  certificatePoliciesExt,
  crlDistributionPointsExt,
  encodeTbsCertificate,
  extKeyUsageExt,
  certificateSubject,
  keyUsageExt,
  subjectKeyIdExt,
} from "./x509";

/**
 * One calendar year later, to the second (milliseconds dropped: X.509 times have whole seconds).
 * 29 February has no counterpart in the next year: it maps to **28 February**, so a renewal never runs past
 * the calendar year it buys (1 March would add a day the holder did not pay for).
 */
export function addOneYear(date: Date): Date {
  const y = date.getUTCFullYear() + 1;
  const m = date.getUTCMonth();
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      y,
      m,
      Math.min(date.getUTCDate(), lastDay),
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
    ),
  );
}

/** 126 random bits as a positive 16-byte INTEGER (first byte 01xxxxxx: always 16 bytes, never sign-padded). */
export function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = 0x40 | (b[0] & 0x3f);
  return b.toString("hex");
}

export interface BuildCertificateInput {
  /** Name DER, copied from the old certificate (never from the CSR) */
  subjectDer: Buffer;
  /** SubjectPublicKeyInfo DER from the verified CSR */
  spki: Buffer;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  profile: CertProfile;
  ca: Ca;
}

interface ProfileBlocks {
  before: Buffer;
  after: Buffer;
  signatureAlgorithm: Buffer;
}

// The extensions that do not depend on the subject key are encoded once per CA, profile and key type.
const blockCache = new WeakMap<Ca, WeakMap<CertProfile, Record<"rsa" | "ec", ProfileBlocks>>>();

function blocks(ca: Ca, profile: CertProfile, keyType: "rsa" | "ec"): ProfileBlocks {
  let byProfile = blockCache.get(ca);
  if (!byProfile) blockCache.set(ca, (byProfile = new WeakMap()));
  let entry = byProfile.get(profile);
  if (!entry) {
    const make = (k: "rsa" | "ec"): ProfileBlocks => ({
      before: Buffer.concat([
        basicConstraintsExt(false),
        keyUsageExt(profile.keyUsage[k]),
        extKeyUsageExt(profile.extKeyUsage),
      ]),
      after: Buffer.concat([
        authorityKeyIdExt(ca.keyId),
        crlDistributionPointsExt(ca.urls.crl),
        authorityInfoAccessExt(ca.urls.ocsp, ca.urls.caIssuers),
        certificatePoliciesExt(ca.policyOid),
      ]),
      signatureAlgorithm: signatureAlgorithmFor(ca.signer.algorithm),
    });
    entry = { rsa: make("rsa"), ec: make("ec") };
    byProfile.set(profile, entry);
  }
  return entry[keyType];
}

// rsaEncryption OID bytes inside an SPKI: enough to tell the key type without parsing the key
const RSA_OID_DER = Buffer.from("06092a864886f70d010101", "hex");

/**
 * A signed holder certificate (DER). The TBS is encoded once from precomputed blocks, signed by the CA's
 * Signer, and wrapped in the outer SEQUENCE directly — no ASN.1 object tree (pkijs spends its time re-encoding:
 * lib/pki/README.md).
 */
export function buildCertificate(input: BuildCertificateInput): Promise<Buffer> {
  const keyType = input.spki.subarray(0, 24).includes(RSA_OID_DER) ? "rsa" : "ec";
  const b = blocks(input.ca, input.profile, keyType);
  const tbs = encodeTbsCertificate({
    serialHex: input.serial,
    signatureAlgorithm: b.signatureAlgorithm,
    issuerName: input.ca.issuerName,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    subjectName: input.subjectDer,
    spki: input.spki,
    extensions: Buffer.concat([b.before, subjectKeyIdExt(keyIdentifier(input.spki)), b.after]),
  });
  return signStructure(tbs, input.ca.signer);
}

export interface IssueRenewalInput {
  oldCertificate: Certificate;
  /** the request as parseCsr returned it: parsed and its self-signature verified */
  csr: ParsedCsr;
  orderId: string;
  clock: Clock;
  ca: Ca;
  /** serial source; tests inject clashes */
  serial?: () => string;
  /**
   * the renewal of `oldCertificate` as the caller read it in this transaction, under the order's lock (null: none);
   * read here when not given
   */
  previous?: Certificate | null;
}

const SERIAL_TRIES = 5;

/**
 * Issues the renewal of `oldCertificate` inside the caller's transaction for a verified CSR (parseCsr, once, by the
 * caller): checks the rekey policy, copies the subject
 * and holder data from the old certificate, notBefore = now, notAfter = old notAfter + 1 calendar year, and stores
 * the new Certificate (previousId = old.id). Calling it again for the same old certificate returns the first one
 * (Certificate.previousId is unique), so a retried order step cannot issue twice.
 */
export async function issueRenewal(tx: Sql, input: IssueRenewalInput): Promise<Certificate> {
  const { oldCertificate: old, ca, clock } = input;
  const existing =
    input.previous !== undefined ? input.previous : await uniqueRow(tx, "Certificate", "previousId", old.id);
  if (existing) return existing;

  const { csr } = input;
  const profile = profileFor(old.certType);
  assertRekey(csr, old.spkiSha256, profile.requireRekey);

  const nextSerial = input.serial ?? randomSerialHex;
  let serial = nextSerial();
  for (let i = 1; await serialTaken(tx, serial); i++) {
    if (i >= SERIAL_TRIES) throw new Error("could not find an unused serial number");
    serial = nextSerial();
  }

  const notBefore = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
  const notAfter = addOneYear(old.notAfter);
  const der = await buildCertificate({
    subjectDer: certificateSubject(Buffer.from(old.der)),
    spki: csr.spki,
    serial,
    notBefore,
    notAfter,
    profile,
    ca,
  });

  const created = await insertRow(tx, "Certificate", {
    id: randomUUID(),
    serial,
    subjectDn: old.subjectDn,
    issuerDn: ca.issuerDn,
    ...holderFieldsOf(old),
    keyAlgorithm: csr.keyAlgorithm,
    spkiSha256: csr.spkiSha256,
    notBefore,
    notAfter,
    status: "active",
    der: new Uint8Array(der),
    tokenSerial: old.tokenSerial,
    previousId: old.id,
    reminderOptOut: old.reminderOptOut,
    createdAt: new Date(),
  });
  await auditCertificateIssued(
    tx,
    created.id,
    { serial, previousSerial: old.serial, orderId: input.orderId, notAfter: notAfter.toISOString() },
    clock,
  );
  return created;
}

async function serialTaken(tx: Sql, serial: string): Promise<boolean> {
  return (await sqlRows(tx, `SELECT 1 AS "taken" FROM "Certificate" WHERE "serial" = $1`, [serial])).length > 0;
}

/** The audit event of a newly issued certificate (renewed, encryption or upstream); `data` tells which. */
export function auditCertificateIssued(tx: Sql, certificateId: string, data: Record<string, unknown>, clock: Clock) {
  return appendAudit(
    tx,
    {
      actorType: "system",
      action: "certificate.issued",
      targetType: "certificate",
      targetId: certificateId,
      toState: "active",
      data,
    },
    clock,
  );
}

/** What a renewed certificate carries over from the one it renews: the holder, the contact, who pays. */
export function holderFieldsOf(old: Certificate) {
  const { holderName, holderIdType, holderIdEnc, holderIdHash, holderIdLast4, email, certType, payerClass } = old;
  // the renewed certificate stays with the organisation that pays for it, and keeps signing in to its console (大客户专区)
  const { organisationId, consoleOrganisationId } = old;
  return {
    ...{ holderName, holderIdType, holderIdEnc, holderIdHash, holderIdLast4, email, certType, payerClass },
    ...{ organisationId, consoleOrganisationId },
  };
}
