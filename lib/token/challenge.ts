import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { isSm2Spki, sm2Verify } from "../crypto/sm2";

/**
 * The only text the certificate assistant will sign: a domain-separated, line-oriented challenge that
 * names the portal origin, the purpose, the certificate, a nonce and a time. A signature over it cannot
 * be replayed as a signature over anything else (a document, a TLS handshake, another portal).
 *
 *   CertRenew challenge v1
 *   origin: https://renew.example.cn
 *   purpose: login|issue|revoke|unlock
 *   serial: <lowercase hex>
 *   nonce: <base64url of 32 bytes>
 *   issued-at: 2026-11-25T10:00:00.000Z
 *   csr-sha256: <64 lowercase hex>     (purpose=issue only)
 *
 * Lines are joined by "\n", with no trailing newline. The signature is over the UTF-8 bytes with SHA-256 (SM3 with
 * the Z value for SM2 keys).
 */

const CHALLENGE_HEADER = "CertRenew challenge v1";
const CHALLENGE_PURPOSES = ["login", "issue", "revoke", "unlock"] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

export interface ChallengeFields {
  origin: string;
  purpose: ChallengePurpose;
  serial: string;
  nonce: string;
  issuedAt: string;
  /** SHA-256 of the new CSR's DER, lowercase hex; present exactly when purpose is "issue". */
  csrSha256?: string;
}

export class ChallengeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChallengeFormatError";
  }
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;
const SERIAL = /^[0-9a-f]{1,42}$/;
const NONCE = /^[A-Za-z0-9_-]{43}$/;
const ISSUED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_LENGTH = 512;

function isCanonicalNonce(nonce: string): boolean {
  if (!NONCE.test(nonce)) return false;
  const bytes = Buffer.from(nonce, "base64url");
  return bytes.length === 32 && bytes.toString("base64url") === nonce;
}

function isCanonicalTime(iso: string): boolean {
  if (!ISSUED_AT.test(iso)) return false;
  const t = Date.parse(iso);
  return Number.isFinite(t) && new Date(t).toISOString() === iso;
}

function check(fields: ChallengeFields): void {
  if (!ORIGIN.test(fields.origin)) throw new ChallengeFormatError("origin: scheme://host[:port], lowercase, no path");
  if (!CHALLENGE_PURPOSES.includes(fields.purpose))
    throw new ChallengeFormatError("purpose: login, issue, revoke or unlock");
  if (!SERIAL.test(fields.serial)) throw new ChallengeFormatError("serial: lowercase hex");
  if (!isCanonicalNonce(fields.nonce)) throw new ChallengeFormatError("nonce: base64url of 32 bytes, no padding");
  if (!isCanonicalTime(fields.issuedAt)) throw new ChallengeFormatError("issued-at: ISO-8601 UTC with milliseconds");
  if (fields.purpose === "issue") {
    if (fields.csrSha256 === undefined || !SHA256_HEX.test(fields.csrSha256))
      throw new ChallengeFormatError("csr-sha256: 64 lowercase hex, required for purpose=issue");
  } else if (fields.csrSha256 !== undefined) {
    throw new ChallengeFormatError("csr-sha256: only for purpose=issue");
  }
}

export function formatChallenge(fields: ChallengeFields): string {
  check(fields);
  const lines = [
    CHALLENGE_HEADER,
    `origin: ${fields.origin}`,
    `purpose: ${fields.purpose}`,
    `serial: ${fields.serial}`,
    `nonce: ${fields.nonce}`,
    `issued-at: ${fields.issuedAt}`,
  ];
  if (fields.csrSha256 !== undefined) lines.push(`csr-sha256: ${fields.csrSha256}`);
  return lines.join("\n");
}

const KEYS = ["origin", "purpose", "serial", "nonce", "issued-at"] as const;

/** Strict: exactly the format above (same order, no extra whitespace or lines), else ChallengeFormatError. */
export function parseChallenge(text: string): ChallengeFields {
  if (typeof text !== "string" || text.length > MAX_LENGTH) throw new ChallengeFormatError("not a challenge");
  const lines = text.split("\n");
  if (lines[0] !== CHALLENGE_HEADER) throw new ChallengeFormatError("header: expected 'CertRenew challenge v1'");
  const values: string[] = [];
  const expected = lines.length === KEYS.length + 2 ? [...KEYS, "csr-sha256"] : KEYS;
  if (lines.length !== expected.length + 1) throw new ChallengeFormatError("wrong number of lines");
  expected.forEach((key, i) => {
    const prefix = `${key}: `;
    const line = lines[i + 1];
    if (!line.startsWith(prefix)) throw new ChallengeFormatError(`line ${i + 2}: expected '${key}: '`);
    values.push(line.slice(prefix.length));
  });
  const [origin, purpose, serial, nonce, issuedAt, csrSha256] = values;
  const fields: ChallengeFields = { origin, purpose: purpose as ChallengePurpose, serial, nonce, issuedAt };
  if (csrSha256 !== undefined) fields.csrSha256 = csrSha256;
  check(fields);
  if (formatChallenge(fields) !== text) throw new ChallengeFormatError("not in canonical form");
  return fields;
}

/**
 * The registered keys the last challenges were verified with: a holder's key signs at sign-in, 下证 and the
 * install, and node:crypto's import of a public key (~0.13 ms) cost more than the verification itself. Bounded; the
 * oldest entry goes first.
 */
const KEYS_KEPT = 4096;
const keys = new Map<string, KeyObject>();

function publicKeyOf(spkiDer: Uint8Array): KeyObject {
  const id = Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength).toString("base64");
  let key = keys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
    if (keys.size >= KEYS_KEPT) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}

/**
 * True when `signatureB64` is a valid signature over the challenge by the key in `spkiDer`: RSA PKCS#1 v1.5
 * with SHA-256, ECDSA with SHA-256 and a DER-encoded signature, or for SM2 keys a DER SM2 signature over
 * SM3(Z ‖ challenge) with the default ID 1234567812345678 (what SKF keys make). False for anything that is not a
 * well-formed challenge, another key type, or a malformed key or signature.
 */
export function verifyChallengeSignature(text: string, signatureB64: string, spkiDer: Uint8Array): boolean {
  try {
    parseChallenge(text);
    const signature = Buffer.from(signatureB64, "base64");
    if (signature.length === 0 || signature.toString("base64") !== signatureB64) return false;
    if (isSm2Spki(spkiDer)) return sm2Verify(Buffer.from(text, "utf8"), signature, spkiDer);
    const key = publicKeyOf(spkiDer);
    if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") return false;
    return verify("sha256", Buffer.from(text, "utf8"), { key, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}
