/**
 * RFC 6960 OCSP responder, signed by the issuing CA itself (responderID byKey), SHA-1 or SHA-256 CertIDs.
 *
 * Caching design (several portal instances, one database):
 * - A request for one certificate without a nonce (the common, RFC 5019 case) is answered from a pre-signed
 *   response: no signature per request. Pre-signed responses live in the OcspResponse table (one per issuing key
 *   and serial, SHA-1 CertID: after a CA key change the earlier key's responses are never served) and in process
 *   memory.
 * - A memory entry is trusted for MEMORY_TTL_MS (1 s). After that the instance reads the row's producedAt
 *   (one primary-key lookup per hot serial per second): same producedAt → keep serving the entry; a different or
 *   missing row → reload or re-sign. Revocation deletes the row in its transaction and drops the entry of the
 *   revoking instance, so the revoking instance answers "revoked" at once and every other instance within 1 s.
 * - Responses are valid for RESPONSE_VALIDITY_MS (nextUpdate) and re-signed once older than REFRESH_AFTER_MS.
 * - Requests with a nonce, several CertIDs or another hash algorithm are signed fresh from the database status.
 * - Unknown serials and foreign issuers get a freshly signed "unknown" (never stored).
 *
 * ASN.1: requests are read with pkijs (OCSPRequest). Responses are written with the small DER writer in der.ts on
 * purpose: every cache miss, refresh, nonce request and "unknown" answer builds a ResponseData, and pkijs's
 * BasicOCSPResponse encodes it through an asn1js object tree several times (the re-encoding is what makes pkijs
 * slow: lib/pki/README.md); the writer encodes each response once from precomputed blocks (responderID, the
 * issuer's CertID hashes), which is what keeps a cache refresh or a burst of nonce requests cheap.
 */
import { createHash } from "node:crypto";
import { DAY, HOUR, SECOND, type Clock } from "@/lib/clock";
import type { Tx } from "@/lib/db";
import { DomainError, isDbUnavailable } from "@/lib/errors";
import { log } from "@/lib/log";
import type { Ca } from "./ca";
import * as pkijs from "pkijs";
import { decodePki, integerHex } from "./asn1";
import { DerError, enumerated, explicit, generalizedTime, nul, octets, oid, seq, tlv, uint } from "./der";
import { OID } from "./oids";
import { keyIdentifier, signStructure } from "./signer";
import { metrics } from "../metrics";

const MEMORY_TTL_MS = SECOND;
const RESPONSE_VALIDITY_MS = DAY;
const REFRESH_AFTER_MS = 4 * HOUR;
export const OCSP_MAX_REQUEST_BYTES = 8 * 1024;
const MAX_CERT_IDS = 10;
const MEMORY_MAX_ENTRIES = 200_000;

export const OCSP_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  unauthorized: 6,
} as const;

interface OcspCertId {
  /** the CertID element as sent */
  der: Buffer;
  hash: "sha1" | "sha256" | "other";
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serial: string;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** the whole nonce Extension element, echoed back as is */
  nonceExt?: Buffer;
}

function malformed(reason: string): DomainError {
  return new DomainError("OCSP_MALFORMED", { reason });
}

function readCertId(id: pkijs.CertID): OcspCertId {
  const algOid = id.hashAlgorithm.algorithmId;
  return {
    // re-encoded from the parsed fields: the responder echoes it in its SingleResponse
    der: Buffer.from(id.toSchema().toBER(false)),
    hash: algOid === OID.sha1 ? "sha1" : algOid === OID.sha256 ? "sha256" : "other",
    // copies, not views of the request: parsed requests are kept (parsedRequests)
    issuerNameHash: Buffer.from(id.issuerNameHash.valueBlock.valueHexView),
    issuerKeyHash: Buffer.from(id.issuerKeyHash.valueBlock.valueHexView),
    serial: integerHex(id.serialNumber),
  };
}

// Parsed nonce-less requests by their exact bytes. RFC 5019 clients (and HTTP caches in front of GET) send the
// same bytes for the same certificate, and pkijs parsing costs ~20x the rest of a cached answer (bench/ocsp.ts:
// ~1,000/s instead of ~19,000/s without this). Parsing is a pure function of the bytes; only well-formed requests
// are kept (garbage cannot fill it), first in first out.
const parsedRequests = new Map<string, OcspRequest>();
const PARSED_MAX_ENTRIES = 20_000;

/** Parses an OCSPRequest (DER) with pkijs. Throws DomainError OCSP_MALFORMED for anything else. */
export function parseOcspRequest(der: Buffer): OcspRequest {
  if (der.length > OCSP_MAX_REQUEST_BYTES) throw malformed("too large");
  const key = der.toString("latin1");
  const known = parsedRequests.get(key);
  if (known) return known;
  const parsed = readOcspRequest(der);
  if (!parsed.nonceExt) {
    Object.freeze(parsed.certIds);
    if (parsedRequests.size >= PARSED_MAX_ENTRIES) parsedRequests.delete(parsedRequests.keys().next().value as string);
    parsedRequests.set(key, parsed);
  }
  return parsed;
}

function readOcspRequest(der: Buffer): OcspRequest {
  try {
    const { tbsRequest } = decodePki(der, (schema) => new pkijs.OCSPRequest({ schema })).value;
    const list = tbsRequest.requestList;
    if (list.length === 0 || list.length > MAX_CERT_IDS) throw new DerError("bad number of requests");
    const certIds = list.map((r) => readCertId(r.reqCert));
    let nonceExt: Buffer | undefined;
    for (const ext of tbsRequest.requestExtensions ?? []) {
      if (ext.extnID !== OID.ocspNonce) continue;
      if (ext.extnValue.valueBlock.valueHexView.byteLength > 128) throw new DerError("nonce too long");
      nonceExt = Buffer.from(ext.toSchema().toBER(false));
    }
    return { certIds, nonceExt };
  } catch (e) {
    if (e instanceof DerError) throw malformed(e.message);
    if (e instanceof DomainError) throw e;
    throw malformed("unreadable");
  }
}

export const ocspError = (status: number): Buffer => seq(enumerated(status));

interface Status {
  status: "good" | "revoked" | "unknown";
  revokedAt?: Date | null;
  reason?: number | null;
}

function certStatus(s: Status): Buffer {
  if (s.status === "good") return Buffer.from([0x80, 0x00]);
  if (s.status === "unknown") return Buffer.from([0x82, 0x00]);
  const reason = s.reason === null || s.reason === undefined ? [] : [explicit(0, enumerated(s.reason))];
  return tlv(0xa1, generalizedTime(s.revokedAt ?? new Date(0)), ...reason);
}

interface CachedResponse {
  keyId: string;
  der: Buffer;
  producedAt: number;
  checkedAt: number;
  /** the answer as served, made on first use */
  answer?: OcspAnswer;
}

// process memory, keyed by serial (see the design note at the top). Kept on globalThis: the node:http front
// (lib/runtime/front.ts, loaded by scripts/portal-server.ts) and Next's bundle each load their own copy of this
// module in the same process, and a revocation through Next's copy (forgetOcsp) must drop the entry the front serves.
const shared = globalThis as unknown as { __certrenewOcspMemory?: Map<string, CachedResponse> };
const memory = (shared.__certrenewOcspMemory ??= new Map<string, CachedResponse>());

/** Drops this process's cached response for `serial` (called on revocation). */
export function forgetOcsp(serial: string): void {
  memory.delete(serial);
}

/** An OCSPResponse and, for a successful one, its thisUpdate/producedAt and nextUpdate (the HTTP caching headers). */
export interface OcspAnswer {
  der: Buffer;
  producedAt?: Date;
  nextUpdate?: Date;
}

export interface OcspDeps {
  db: Tx;
  ca: Ca;
  clock: Clock;
}

/** Issuer hashes and constant blocks of one CA. */
class IssuerView {
  readonly keyIdHex: string;
  readonly nameHash: Record<"sha1" | "sha256", Buffer>;
  readonly keyHash: Record<"sha1" | "sha256", Buffer>;
  readonly responderId: Buffer;
  readonly sha1Alg = seq(oid(OID.sha1), nul());

  constructor(readonly ca: Ca) {
    const spki = ca.signer.publicKeySpki;
    this.keyIdHex = ca.keyId.toString("hex");
    this.nameHash = {
      sha1: createHash("sha1").update(ca.issuerName).digest(),
      sha256: createHash("sha256").update(ca.issuerName).digest(),
    };
    this.keyHash = { sha1: keyIdentifier(spki, "sha1"), sha256: keyIdentifier(spki, "sha256") };
    this.responderId = explicit(2, octets(this.keyHash.sha1));
  }

  ours(id: OcspCertId): boolean {
    return (
      id.hash !== "other" &&
      id.issuerNameHash.equals(this.nameHash[id.hash]) &&
      id.issuerKeyHash.equals(this.keyHash[id.hash])
    );
  }

  sha1CertId(serial: string): Buffer {
    return seq(this.sha1Alg, octets(this.nameHash.sha1), octets(this.keyHash.sha1), uint(Buffer.from(serial, "hex")));
  }
}

const views = new WeakMap<Ca, IssuerView>();
function viewOf(ca: Ca): IssuerView {
  let v = views.get(ca);
  if (!v) views.set(ca, (v = new IssuerView(ca)));
  return v;
}

async function lookup(db: Tx, view: IssuerView, id: OcspCertId): Promise<Status> {
  if (!view.ours(id)) return { status: "unknown" };
  const c = await db.certificate.findUnique({
    where: { serial: id.serial },
    select: { status: true, revokedAt: true, revocationReason: true, issuerDn: true },
  });
  if (!c || c.issuerDn !== view.ca.issuerDn) return { status: "unknown" };
  return c.status === "revoked"
    ? { status: "revoked", revokedAt: c.revokedAt, reason: c.revocationReason }
    : { status: "good" };
}

async function signResponse(
  view: IssuerView,
  now: Date,
  singles: { certId: Buffer; status: Status }[],
  nonceExt?: Buffer,
): Promise<OcspAnswer> {
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const next = new Date(at.getTime() + RESPONSE_VALIDITY_MS);
  const tbs = seq(
    view.responderId,
    generalizedTime(at),
    seq(
      ...singles.map((s) =>
        seq(s.certId, certStatus(s.status), generalizedTime(at), explicit(0, generalizedTime(next))),
      ),
    ),
    ...(nonceExt ? [explicit(1, seq(nonceExt))] : []),
  );
  const basic = await signStructure(tbs, view.ca.signer);
  const der = seq(enumerated(OCSP_STATUS.successful), explicit(0, seq(oid(OID.ocspBasic), octets(basic))));
  return { der, producedAt: at, nextUpdate: next };
}

const answerOf = (e: CachedResponse): OcspAnswer =>
  (e.answer ??= {
    der: e.der,
    producedAt: new Date(e.producedAt),
    nextUpdate: new Date(e.producedAt + RESPONSE_VALIDITY_MS),
  });

// one database check per serial at a time: concurrent requests for a hot serial wait for the same answer
const inflight = new Map<string, Promise<CachedResponse | undefined>>();

/** The pre-signed response for one of our serials (memory → table → sign), or undefined when the serial is unknown. */
function presigned(
  deps: OcspDeps,
  view: IssuerView,
  serial: string,
): Promise<CachedResponse | undefined> | CachedResponse {
  const now = deps.clock.now().getTime();
  const mem = memory.get(serial);
  if (
    mem &&
    mem.keyId === view.keyIdHex &&
    now - mem.checkedAt < MEMORY_TTL_MS &&
    now - mem.producedAt < REFRESH_AFTER_MS
  ) {
    metrics.ocspAnswers.inc({ source: "memory" });
    return mem;
  }
  const key = `${view.keyIdHex}:${serial}`;
  let p = inflight.get(key);
  if (!p) {
    p = revalidate(deps, view, serial, now, mem).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

async function revalidate(
  deps: OcspDeps,
  view: IssuerView,
  serial: string,
  now: number,
  mem: CachedResponse | undefined,
): Promise<CachedResponse | undefined> {
  const where = { issuerKeyId_serial: { issuerKeyId: view.keyIdHex, serial } };
  const row = await deps.db.ocspResponse.findUnique({ where });
  if (row && now - row.producedAt.getTime() < REFRESH_AFTER_MS) {
    const fresh = mem && mem.keyId === view.keyIdHex && mem.producedAt === row.producedAt.getTime() ? mem : undefined;
    const der = fresh ? fresh.der : Buffer.from(row.der);
    metrics.ocspAnswers.inc({ source: "table" });
    const producedAt = row.producedAt.getTime();
    return remember(serial, { keyId: view.keyIdHex, der, producedAt, checkedAt: now, answer: fresh?.answer });
  }
  const certId = view.sha1CertId(serial);
  const status = await lookup(deps.db, view, {
    der: certId,
    hash: "sha1",
    issuerNameHash: view.nameHash.sha1,
    issuerKeyHash: view.keyHash.sha1,
    serial,
  });
  if (status.status === "unknown") return undefined;
  const producedAt = new Date(Math.floor(now / 1000) * 1000);
  const { der } = await signResponse(view, producedAt, [{ certId, status }]);
  const data = {
    status: status.status,
    der: new Uint8Array(der),
    producedAt,
    nextUpdate: new Date(producedAt.getTime() + RESPONSE_VALIDITY_MS),
  };
  await deps.db.ocspResponse.upsert({ where, create: { serial, issuerKeyId: view.keyIdHex, ...data }, update: data });
  metrics.ocspAnswers.inc({ source: "signed" });
  return remember(serial, { keyId: view.keyIdHex, der, producedAt: producedAt.getTime(), checkedAt: now });
}

function remember(serial: string, entry: CachedResponse): CachedResponse {
  if (memory.size >= MEMORY_MAX_ENTRIES && !memory.has(serial)) memory.delete(memory.keys().next().value as string);
  memory.set(serial, entry);
  return entry;
}

/** Answers a parsed request: the pre-signed response when possible, else a freshly signed one. */
async function answerOcsp(deps: OcspDeps, req: OcspRequest): Promise<OcspAnswer> {
  const view = viewOf(deps.ca);
  const [only] = req.certIds;
  if (req.certIds.length === 1 && !req.nonceExt && only.hash === "sha1" && view.ours(only)) {
    const entry = await presigned(deps, view, only.serial);
    if (entry) return answerOf(entry);
  }
  metrics.ocspAnswers.inc({ source: "nonce" });
  const singles = [];
  for (const id of req.certIds) singles.push({ certId: id.der, status: await lookup(deps.db, view, id) });
  return signResponse(view, deps.clock.now(), singles, req.nonceExt);
}

/**
 * Request bytes in, OCSPResponse bytes out (with its times when successful); never throws: bad input →
 * malformedRequest, failures → tryLater/internalError.
 */
export async function answerOcspRequest(deps: OcspDeps, requestDer: Buffer): Promise<OcspAnswer> {
  let req: OcspRequest;
  try {
    req = parseOcspRequest(requestDer);
  } catch {
    return { der: ocspError(OCSP_STATUS.malformedRequest) };
  }
  try {
    return await answerOcsp(deps, req);
  } catch (e) {
    log.error({ err: e }, "ocsp: cannot answer");
    return { der: ocspError(isDbUnavailable(e) ? OCSP_STATUS.tryLater : OCSP_STATUS.internalError) };
  }
}

/** Request bytes in, OCSPResponse bytes out (answerOcspRequest without the times). */
export async function respondOcsp(deps: OcspDeps, requestDer: Buffer): Promise<Buffer> {
  return (await answerOcspRequest(deps, requestDer)).der;
}
