/**
 * CMP messages (RFC 4210 / 9480, the Lightweight CMP Profile RFC 9483): the PKIMessage envelope and the bodies a
 * registration authority needs (kur, certConf, pollReq, rr) written with der.ts, and the answers (ip/cp/kup,
 * pollRep, rp, pkiconf, error) read with its strict reader. The CMP module uses EXPLICIT tags, CRMF (RFC 4211)
 * and GeneralName IMPLICIT ones: a tag on a CHOICE (Name, Time, GeneralName) stays explicit in both.
 */
import {
  bits,
  children,
  content,
  DerError,
  explicit,
  generalizedTime,
  implicitPrim,
  octets,
  oid,
  raw,
  readAll,
  readOid,
  seq,
  tagged,
  TAG,
  time,
  tlv,
  uint,
  enumerated,
  type Node,
} from "../../der";
import { OID } from "../../oids";

export const CMP_OID = {
  passwordBasedMac: "1.2.840.113533.7.66.13",
  regCtrlOldCertId: "1.3.6.1.5.5.7.5.1.5",
  hmacSha1: "1.3.6.1.5.5.8.1.2",
  hmacWithSha1: "1.2.840.113549.2.7",
  hmacWithSha224: "1.2.840.113549.2.8",
  hmacWithSha256: "1.2.840.113549.2.9",
  hmacWithSha384: "1.2.840.113549.2.10",
  hmacWithSha512: "1.2.840.113549.2.11",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
} as const;

/** PKIBody choice numbers used here. */
export const BODY = {
  ip: 1,
  cp: 3,
  p10cr: 4,
  kur: 7,
  kup: 8,
  rr: 11,
  rp: 12,
  pkiconf: 19,
  error: 23,
  certConf: 24,
  pollReq: 25,
  pollRep: 26,
} as const;

export const BODY_NAME: Record<number, string> = Object.fromEntries(Object.entries(BODY).map(([k, v]) => [v, k]));

export const PKI_STATUS = {
  accepted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
  keyUpdateWarning: 6,
} as const;

/** PKIFailureInfo bit numbers (RFC 4210 5.2.3, RFC 9480). */
export const FAILURE_BITS = [
  "badAlg",
  "badMessageCheck",
  "badRequest",
  "badTime",
  "badCertId",
  "badDataFormat",
  "wrongAuthority",
  "incorrectData",
  "missingTimeStamp",
  "badPOP",
  "certRevoked",
  "certConfirmed",
  "wrongIntegrity",
  "badRecipientNonce",
  "timeNotAvailable",
  "unacceptedPolicy",
  "unacceptedExtension",
  "addInfoNotAvailable",
  "badSenderNonce",
  "badCertTemplate",
  "signerNotTrusted",
  "transactionIdInUse",
  "unsupportedVersion",
  "notAuthorized",
  "systemUnavail",
  "systemFailure",
  "duplicateCertReq",
] as const;
export type FailureInfo = (typeof FAILURE_BITS)[number];

export const PVNO_CMP2000 = 2;
/** The only certReqId a single-request kur uses (RFC 9483 4.1.1); a p10cr has none, answered as -1. */
export const CERT_REQ_ID = 0;
export const CERT_REQ_ID_NONE = -1;

// ---- the header ----

export interface HeaderFields {
  /** GeneralName, DER */
  sender: Buffer;
  recipient: Buffer;
  messageTime: Date;
  /** AlgorithmIdentifier, DER */
  protectionAlg: Buffer;
  senderKID?: Buffer;
  transactionID: Buffer;
  senderNonce: Buffer;
  recipNonce?: Buffer;
}

/** GeneralName directoryName [4] around a DER Name (Name is a CHOICE, so the tag stays explicit). */
export const directoryName = (nameDer: Buffer) => explicit(4, nameDer);
/** The empty Name, what RFC 9483 puts where no name is known (NULL-DN). */
export const NULL_DN = seq();

export function encodeHeader(h: HeaderFields): Buffer {
  return seq(
    uint(PVNO_CMP2000),
    h.sender,
    h.recipient,
    explicit(0, generalizedTime(h.messageTime)),
    explicit(1, h.protectionAlg),
    ...(h.senderKID ? [explicit(2, octets(h.senderKID))] : []),
    explicit(4, octets(h.transactionID)),
    explicit(5, octets(h.senderNonce)),
    ...(h.recipNonce ? [explicit(6, octets(h.recipNonce))] : []),
  );
}

/** ProtectedPart ::= SEQUENCE { header, body }: the bytes the protection covers. */
export const protectedPart = (headerDer: Buffer, bodyDer: Buffer) => seq(headerDer, bodyDer);

export function encodeMessage(headerDer: Buffer, bodyDer: Buffer, protection: Buffer, extraCerts: Buffer[]): Buffer {
  return seq(
    headerDer,
    bodyDer,
    explicit(0, bits(protection)),
    ...(extraCerts.length ? [explicit(1, seq(...extraCerts))] : []),
  );
}

// ---- request bodies ----

export interface KurInput {
  /** the certificate being renewed: issuer Name and serialNumber INTEGER, both DER */
  oldIssuerDer: Buffer;
  oldSerialDer: Buffer;
  subjectDer: Buffer;
  spki: Buffer;
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * kur [7] CertReqMessages with one CertReqMsg: the template names the subject and the new public key, the
 * oldCertID control the certificate being renewed (RFC 9483 4.1.3), and POP is raVerified [0] NULL: the portal
 * verified the holder's CSR signature, it never holds the new private key (RFC 4211 4.1, RFC 9483 5.2.2.2).
 */
export function kurBody(k: KurInput): Buffer {
  const validity =
    k.notBefore || k.notAfter
      ? [
          tlv(
            0xa4,
            ...(k.notBefore ? [explicit(0, time(k.notBefore))] : []),
            ...(k.notAfter ? [explicit(1, time(k.notAfter))] : []),
          ),
        ]
      : [];
  const template = seq(
    ...validity,
    explicit(5, k.subjectDer),
    // [6] IMPLICIT SubjectPublicKeyInfo: the SEQUENCE tag replaced by a constructed context tag
    tlv(0xa6, content(readAll(k.spki))),
  );
  const oldCertId = seq(directoryName(k.oldIssuerDer), k.oldSerialDer);
  const controls = seq(seq(oid(CMP_OID.regCtrlOldCertId), oldCertId));
  const certRequest = seq(uint(CERT_REQ_ID), template, controls);
  const raVerified = implicitPrim(0, Buffer.alloc(0));
  return explicit(BODY.kur, seq(seq(certRequest, raVerified)));
}

/** p10cr [4] CertificationRequest: the holder's PKCS#10 request as it is (its own signature is the POP). */
export const p10crBody = (csrDer: Buffer) => explicit(BODY.p10cr, csrDer);

/** certConf [24]: accept (no statusInfo, RFC 9483 4.1.1) or reject the certificate with a reason. */
export function certConfBody(
  certHash: Buffer,
  certReqId: number,
  reject?: { failure: FailureInfo; text: string },
): Buffer {
  const status = reject ? [statusInfo(PKI_STATUS.rejection, reject.text, reject.failure)] : [];
  return explicit(BODY.certConf, seq(seq(octets(certHash), requestId(certReqId), ...status)));
}

export const pollReqBody = (certReqId: number) => explicit(BODY.pollReq, seq(seq(requestId(certReqId))));

/** certReqId: 0 for a kur; -1 after a p10cr, which carries none (RFC 9483 4.1.4, OpenSSL's CERTREQID_NONE). */
function requestId(id: number): Buffer {
  if (id === -1) return Buffer.from([0x02, 0x01, 0xff]);
  return uint(id);
}

/** rr [11]: one RevDetails naming the certificate by issuer and serial, with the CRL reason (RFC 9483 4.2). */
export function rrBody(issuerDer: Buffer, serialDer: Buffer, reason: number): Buffer {
  const template = seq(implicitPrim(1, content(readAll(serialDer))), explicit(3, issuerDer));
  const reasonExt = seq(oid(OID.crlReason), octets(enumerated(reason)));
  return explicit(BODY.rr, seq(seq(template, seq(reasonExt))));
}

function statusInfo(status: number, text?: string, failure?: FailureInfo): Buffer {
  const parts = [uint(status)];
  if (text) parts.push(seq(tlv(0x0c, Buffer.from(text, "utf8"))));
  if (failure) parts.push(failureBits(FAILURE_BITS.indexOf(failure)));
  return seq(...parts);
}

/** A named BIT STRING with one bit set, DER: trailing zero bits dropped and counted as unused. */
function failureBits(bit: number): Buffer {
  const bytes = Buffer.alloc(Math.floor(bit / 8) + 1);
  bytes[bytes.length - 1] = 0x80 >> (bit % 8);
  return tlv(0x03, Buffer.from([7 - (bit % 8)]), bytes);
}

// ---- reading answers ----

export interface Header {
  pvno: number;
  sender: Node;
  recipient: Node;
  protectionAlg?: Node;
  senderKID?: Buffer;
  transactionID?: Buffer;
  senderNonce?: Buffer;
  recipNonce?: Buffer;
}

export interface PkiMessage {
  header: Header;
  headerDer: Buffer;
  bodyType: number;
  /** the PKIBody element, its [n] tag included */
  bodyDer: Buffer;
  /** the content inside the body's tag */
  body: Node;
  protection?: Buffer;
  extraCerts: Buffer[];
}

const ctx = (n: number) => 0xa0 | n;

/** A small INTEGER; negative ones too (OpenSSL answers a p10cr with certReqId -1). */
function smallInt(n: Node): number {
  const b = content(tagged(n, TAG.INTEGER, "an INTEGER"));
  if (b.length === 0 || b.length > 6) throw new DerError("INTEGER out of range");
  return b.readIntBE(0, b.length);
}

function octetString(n: Node): Buffer {
  return Buffer.from(content(tagged(n, 0x04, "an OCTET STRING")));
}

/** The single element inside an explicit tag. */
function inner(n: Node): Node {
  const c = children(n);
  if (c.length !== 1) throw new DerError("explicit tag must hold one element");
  return c[0];
}

export function parseMessage(der: Buffer): PkiMessage {
  const parts = children(tagged(readAll(der), TAG.SEQUENCE, "a PKIMessage"));
  if (parts.length < 2) throw new DerError("PKIMessage without body");
  const [headerNode, bodyNode, ...rest] = parts;
  const header = parseHeader(tagged(headerNode, TAG.SEQUENCE, "a PKIHeader"));
  if ((bodyNode.tag & 0xe0) !== 0xa0) throw new DerError("expected a PKIBody");
  let protection: Buffer | undefined;
  let extraCerts: Buffer[] = [];
  for (const r of rest) {
    if (r.tag === ctx(0) && protection === undefined) {
      const b = content(tagged(inner(r), TAG.BIT_STRING, "a BIT STRING"));
      if (b.length === 0 || b[0] !== 0) throw new DerError("bad protection BIT STRING");
      protection = Buffer.from(b.subarray(1));
    } else if (r.tag === ctx(1) && extraCerts.length === 0) {
      extraCerts = children(tagged(inner(r), TAG.SEQUENCE, "extraCerts")).map((c) => Buffer.from(raw(c)));
    } else throw new DerError("unexpected element in PKIMessage");
  }
  return {
    header,
    headerDer: Buffer.from(raw(headerNode)),
    bodyType: bodyNode.tag & 0x1f,
    bodyDer: Buffer.from(raw(bodyNode)),
    body: inner(bodyNode),
    protection,
    extraCerts,
  };
}

function parseHeader(n: Node): Header {
  const [pvno, sender, recipient, ...optional] = children(n);
  if (!recipient) throw new DerError("short PKIHeader");
  const h: Header = { pvno: smallInt(pvno), sender, recipient };
  for (const o of optional) {
    switch (o.tag) {
      case ctx(1):
        h.protectionAlg = tagged(inner(o), TAG.SEQUENCE, "an AlgorithmIdentifier");
        break;
      case ctx(2):
        h.senderKID = octetString(inner(o));
        break;
      case ctx(4):
        h.transactionID = octetString(inner(o));
        break;
      case ctx(5):
        h.senderNonce = octetString(inner(o));
        break;
      case ctx(6):
        h.recipNonce = octetString(inner(o));
        break;
      default:
        if ((o.tag & 0xe0) !== 0xa0 || (o.tag & 0x1f) > 8) throw new DerError("unexpected PKIHeader field");
    }
  }
  return h;
}

export interface StatusInfo {
  status: number;
  text: string[];
  failures: FailureInfo[];
}

export function parseStatusInfo(n: Node): StatusInfo {
  const [status, ...rest] = children(tagged(n, TAG.SEQUENCE, "a PKIStatusInfo"));
  const info: StatusInfo = { status: smallInt(status), text: [], failures: [] };
  for (const r of rest) {
    if (r.tag === TAG.SEQUENCE) info.text = children(r).map((s) => content(s).toString("utf8"));
    else if (r.tag === TAG.BIT_STRING) {
      const b = content(r);
      if (b.length === 0 || b[0] > 7) throw new DerError("bad PKIFailureInfo");
      for (let i = 0; i < (b.length - 1) * 8; i++)
        if (b[1 + (i >> 3)] & (0x80 >> (i & 7))) info.failures.push(FAILURE_BITS[i] ?? ("badRequest" as const));
    } else throw new DerError("unexpected PKIStatusInfo field");
  }
  return info;
}

export interface CertResponse {
  certReqId: number;
  status: StatusInfo;
  certDer?: Buffer;
  caPubs: Buffer[];
}

/** ip/cp/kup: CertRepMessage ::= SEQUENCE { caPubs [1] OPTIONAL, response SEQUENCE OF CertResponse } */
export function parseCertRep(body: Node): CertResponse {
  const parts = children(tagged(body, TAG.SEQUENCE, "a CertRepMessage"));
  let caPubs: Buffer[] = [];
  if (parts[0]?.tag === ctx(1)) caPubs = children(inner(parts.shift()!)).map((c) => Buffer.from(raw(c)));
  const responses = children(tagged(parts[0], TAG.SEQUENCE, "CertResponses"));
  if (responses.length !== 1 || parts.length !== 1) throw new DerError("expected exactly one CertResponse");
  const [id, status, ...rest] = children(tagged(responses[0], TAG.SEQUENCE, "a CertResponse"));
  const out: CertResponse = { certReqId: smallInt(id), status: parseStatusInfo(status), caPubs };
  const ckp = rest.find((r) => r.tag === TAG.SEQUENCE);
  if (ckp) {
    const certOrEnc = children(ckp)[0];
    if (certOrEnc?.tag !== ctx(0)) throw new DerError("only a plain certificate is supported in CertifiedKeyPair");
    out.certDer = Buffer.from(raw(tagged(inner(certOrEnc), TAG.SEQUENCE, "a Certificate")));
  }
  return out;
}

/** pollRep: the first entry's certReqId and checkAfter (seconds). */
export function parsePollRep(body: Node): { certReqId: number; checkAfter: number; reason: string[] } {
  const entries = children(tagged(body, TAG.SEQUENCE, "a PollRepContent"));
  const [id, after, reason] = children(tagged(entries[0], TAG.SEQUENCE, "a PollRep entry"));
  return {
    certReqId: smallInt(id),
    checkAfter: smallInt(after),
    reason: reason ? children(reason).map((s) => content(s).toString("utf8")) : [],
  };
}

/** rp: the status of the one revocation asked for. */
export function parseRevRep(body: Node): StatusInfo {
  const [statuses] = children(tagged(body, TAG.SEQUENCE, "a RevRepContent"));
  const list = children(tagged(statuses, TAG.SEQUENCE, "RevRep statuses"));
  if (list.length < 1) throw new DerError("RevRepContent without status");
  return parseStatusInfo(list[0]);
}

/** error: ErrorMsgContent ::= SEQUENCE { pKIStatusInfo, errorCode INTEGER OPTIONAL, errorDetails OPTIONAL } */
export function parseErrorMsg(body: Node): StatusInfo & { details: string[] } {
  const [si, ...rest] = children(tagged(body, TAG.SEQUENCE, "an ErrorMsgContent"));
  const details = rest
    .filter((r) => r.tag === TAG.SEQUENCE)
    .flatMap((r) => children(r).map((s) => content(s).toString("utf8")));
  return { ...parseStatusInfo(si), details };
}

/** pkiconf is NULL. */
export function checkPkiConf(body: Node): void {
  if (body.tag !== TAG.NULL || body.end !== body.contentStart) throw new DerError("pkiconf must be NULL");
}

/** AlgorithmIdentifier → its OID and raw parameters (if any). */
export function algorithmOf(n: Node): { oid: string; params?: Node } {
  const [o, params] = children(tagged(n, TAG.SEQUENCE, "an AlgorithmIdentifier"));
  return { oid: readOid(o), params };
}

export { smallInt, octetString };
