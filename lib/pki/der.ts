/**
 * A minimal DER writer and a strict DER reader, for the issuance and OCSP hot paths only: certificate TBSs
 * (issue.ts, x509.ts encodeTbsCertificate and its extensions, the key identifier) and OCSP responses (ocsp.ts) are
 * encoded once from precomputed byte blocks instead of object trees, and PKCS#10 requests are read here (csr.ts).
 * The assistant (agent/x509.ts) writes and reads its DER here too. Why not asn1js/pkijs, with the figures and the
 * command that measures them: README.md in this folder (bench/der.ts: ~100x and more per request or TBS).
 * der.test.ts round-trips every writer through asn1js; csr.test.ts checks that whatever this reader accepts, asn1js
 * reads the same way. Certificates, CRLs, OCSP requests and names are read with pkijs/asn1js (asn1.ts). Only
 * definite-length DER is accepted when reading: no indefinite or non-minimal lengths, no high tag numbers.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

// ---- writing ----

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? content[0] : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...c: Buffer[]) => tlv(0x30, ...c);
/** SET OF: DER puts the elements in ascending order of their encodings (X.690 11.6), whatever order they come in. */
export const set = (...c: Buffer[]) => tlv(0x31, ...derOrder(c));

/**
 * The elements of a SET OF in DER order: ascending as octet strings, a shorter encoding padded with zero octets
 * (which is what Buffer.compare gives for complete TLVs). For implicitly tagged SET OFs, e.g. the PKCS#7
 * `certificates [0] IMPLICIT SET OF Certificate`.
 */
export function derOrder(elements: Buffer[]): Buffer[] {
  return elements.length < 2 ? elements : [...elements].sort(Buffer.compare);
}
export const octets = (b: Buffer) => tlv(0x04, b);
export const nul = () => Buffer.from([0x05, 0x00]);
export const bool = (v: boolean) => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));

/** PrintableString's whole alphabet (X.680 41.4): letters, digits, space and ' ( ) + , - . / : = ? */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** PrintableString; throws DerError for any character outside its alphabet (e.g. `@`, `_`, `*`, non-ASCII). */
export function printable(s: string): Buffer {
  if (!PRINTABLE.test(s)) throw new DerError("not a PrintableString");
  return tlv(0x13, Buffer.from(s, "ascii"));
}
/** BIT STRING with no unused bits */
export const bits = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
/** [n] EXPLICIT: constructed context tag around complete elements */
export const explicit = (n: number, ...c: Buffer[]) => tlv(0xa0 | contextTag(n), ...c);
/** [n] IMPLICIT primitive: context tag replacing a primitive type's tag */
export const implicitPrim = (n: number, content: Buffer) => tlv(0x80 | contextTag(n), content);

/** Context tag numbers 0..30 fit the one tag byte this writer emits. */
function contextTag(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new DerError("context tag out of range");
  return n;
}

/** INTEGER from unsigned big-endian magnitude bytes (or a non-negative number). */
export function uint(value: Buffer | number): Buffer {
  let b = typeof value === "number" ? numberBytes(value) : value;
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && b[i + 1] < 0x80) i++;
  b = b.subarray(i);
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

/** ECDSA raw r‖s (what PKCS#11 CKM_ECDSA and SKF return) → ECDSA-Sig-Value, SEQUENCE { r INTEGER, s INTEGER }. */
export function ecdsaRawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2) throw new DerError("raw ECDSA signature must have even length");
  const half = raw.length / 2;
  return seq(uint(raw.subarray(0, half)), uint(raw.subarray(half)));
}

export function enumerated(n: number): Buffer {
  return tlv(0x0a, uint(n).subarray(2));
}

function numberBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new DerError("integer out of range");
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from(out.length ? out : [0]);
}

/** Dotted form: at least two arcs, decimal without leading zeros; first arc 0, 1 or 2 (below 40 under 0 and 1). */
const DOTTED_OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

/** OBJECT IDENTIFIER from its dotted form; throws DerError for anything that is not a valid OID. */
export function oid(dotted: string): Buffer {
  if (!DOTTED_OID.test(dotted)) throw new DerError(`not an OBJECT IDENTIFIER: ${JSON.stringify(dotted)}`);
  const parts = dotted.split(".").map(Number);
  if (parts[0] < 2 && parts[1] >= 40) throw new DerError(`not an OBJECT IDENTIFIER: ${JSON.stringify(dotted)}`);
  const first = parts[0] * 40 + parts[1];
  if (parts.some((p) => !Number.isSafeInteger(p)) || !Number.isSafeInteger(first))
    throw new DerError("OBJECT IDENTIFIER arc too large");
  const out: number[] = [];
  for (const p of [first, ...parts.slice(2)]) {
    // base 128, most significant group first, every group but the last with the high bit set
    const chunk: number[] = [p % 128];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v % 128) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; always whole seconds in UTC. */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  if (Number.isNaN(y)) throw new DerError("invalid date");
  const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${pad(y % 100)}${rest}`, "ascii"));
  return generalizedTime(d);
}

/** GeneralizedTime in whole seconds, UTC (`YYYYMMDDHHMMSSZ`); years 0000–9999 only. */
export function generalizedTime(d: Date): Buffer {
  const y = d.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) throw new DerError("date outside GeneralizedTime's years");
  const s = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(0x18, Buffer.from(s, "ascii"));
}

// ---- reading ----

export interface Node {
  tag: number;
  /** offset of the tag byte in `buf` */
  start: number;
  /** offset of the first content byte */
  contentStart: number;
  /** offset after the last content byte */
  end: number;
  buf: Buffer;
}

export function read(buf: Buffer, offset = 0, limit = buf.length): Node {
  if (offset + 2 > limit) throw new DerError("truncated");
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not supported");
  if (tag === 0) throw new DerError("end-of-contents octets in DER");
  // universal class: SEQUENCE and SET are always constructed, every other type used in PKI is primitive in DER
  if (!(tag & 0xc0) && !!(tag & 0x20) !== ((tag & 0x1f) === 0x10 || (tag & 0x1f) === 0x11))
    throw new DerError("wrong constructed bit for the type");
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError("indefinite or oversized length");
    if (p + n > limit) throw new DerError("truncated");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    p += n;
    if (len < 0x80 || (n > 1 && buf[offset + 2] === 0)) throw new DerError("non-minimal length");
  }
  if (p + len > limit) throw new DerError("truncated");
  return { tag, start: offset, contentStart: p, end: p + len, buf };
}

/** Reads a complete element that must fill the whole buffer. */
export function readAll(buf: Buffer): Node {
  const n = read(buf);
  if (n.end !== buf.length) throw new DerError("trailing data");
  return n;
}

export function children(n: Node): Node[] {
  if (!(n.tag & 0x20)) throw new DerError("expected a constructed element");
  const out: Node[] = [];
  for (let p = n.contentStart; p < n.end;) {
    const c = read(n.buf, p, n.end);
    out.push(c);
    p = c.end;
  }
  return out;
}

export const raw = (n: Node): Buffer => n.buf.subarray(n.start, n.end);
export const content = (n: Node): Buffer => n.buf.subarray(n.contentStart, n.end);

/** DER tags the readers check. */
export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT_0: 0xa0,
} as const;

/** `n` if it is there and has `tag`; otherwise a DerError naming `what`. */
export function tagged(n: Node | undefined, tag: number, what: string): Node {
  if (!n || n.tag !== tag) throw new DerError(`expected ${what}`);
  return n;
}

/** An empty NULL (AlgorithmIdentifier parameters). */
export const isNull = (n: Node): boolean => n.tag === TAG.NULL && n.end === n.contentStart;

/** Deeper than any real name or attribute value; a bound on the recursion whatever the input. */
const MAX_DEPTH = 32;

/** Every constructed element inside `n`, all the way down, is well-formed (primitive contents are not read). */
export function walk(n: Node, depth = 0): void {
  if (depth > MAX_DEPTH) throw new DerError("nested too deeply");
  if (n.tag & 0x20) for (const c of children(n)) walk(c, depth + 1);
}

/** An OBJECT IDENTIFIER in dotted form; minimal base-128 arcs below 2^53 only. */
export function readOid(n: Node): string {
  const b = content(tagged(n, TAG.OID, "an OBJECT IDENTIFIER"));
  if (b.length === 0 || b[b.length - 1] & 0x80) throw new DerError("truncated OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    if (v === 0 && b[i] === 0x80) throw new DerError("non-minimal OBJECT IDENTIFIER arc");
    v = v * 128 + (b[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) throw new DerError("OBJECT IDENTIFIER arc too large");
    if (!(b[i] & 0x80)) {
      if (arcs.length) arcs.push(v);
      else arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      v = 0;
    }
  }
  return arcs.join(".");
}

/** The contents of a BIT STRING with no unused bits (keys, signatures). */
export function bitStringContent(n: Node): Buffer {
  const b = content(tagged(n, TAG.BIT_STRING, "a BIT STRING"));
  if (b.length === 0 || b[0] !== 0) throw new DerError("bad BIT STRING");
  return b.subarray(1);
}
