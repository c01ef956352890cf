import { randomBytes, randomUUID } from "node:crypto";
import type { Db, Tx } from "../db";
import { appendAudit, actorFields, type Actor, withSqlTx } from "../audit";
import { createSession, type NewSession } from "../session";
import { MINUTE, type Clock } from "../clock";
import type { Certificate } from "../generated/prisma/client";
import { DomainError, isDomainError } from "../errors";
import { hitRateLimit, hitRateLimits } from "../ratelimit";
import { certificateSpki } from "../pki/x509";
import {
  ChallengeFormatError,
  formatChallenge,
  parseChallenge,
  verifyChallengeSignature,
  type ChallengeFields,
  type ChallengePurpose,
} from "../token/challenge";
import { sqlRows, uniqueRow } from "../db/lean";

/**
 * Proof of possession: the portal hands out a single-use challenge naming the certificate, the holder's key
 * signs it through the certificate assistant, and the signature is checked against the public key of the
 * certificate as registered (never a key the client sends).
 */

export const CHALLENGE_TTL_MS = 2 * MINUTE;
/**
 * challenges per (purpose, client address, serial) per window: a holder needs a handful, a script hammering a serial
 * is stopped. Never per serial alone: a serial is public, and a limit anyone can fill would lock its holder out.
 */
export const CHALLENGE_LIMIT = { max: 20, windowMs: 10 * MINUTE };
/** challenges per client address (when known), so varying the serial does not fill the table */
export const CHALLENGE_IP_LIMIT = { max: 120, windowMs: 10 * MINUTE };
/** used and expired challenges are kept this long (for support questions), then purged */
export const CHALLENGE_RETENTION_MS = 24 * 60 * MINUTE;

export interface IssuedChallenge {
  text: string;
  expiresAt: Date;
}

function normaliseSerial(serial: string): string {
  return serial.trim().toLowerCase().replace(/:/g, "");
}

export async function issueChallenge(
  db: Tx,
  args: {
    serial: string;
    origin: string;
    purpose: ChallengePurpose;
    clock: Clock;
    csrSha256?: string;
    ip?: string | null;
  },
): Promise<IssuedChallenge> {
  const serial = normaliseSerial(args.serial);
  const now = args.clock.now();
  const nonce = randomBytes(32).toString("base64url");
  let text: string;
  try {
    text = formatChallenge({
      origin: args.origin,
      purpose: args.purpose,
      serial,
      nonce,
      issuedAt: now.toISOString(),
      csrSha256: args.csrSha256,
    });
  } catch (e) {
    if (e instanceof ChallengeFormatError) throw new DomainError("VALIDATION_FAILED", { reason: e.message });
    throw e;
  }
  const ip = args.ip ?? "unknown";
  const limits = [{ key: `challenge:${args.purpose}:${ip}:${serial}`, limit: CHALLENGE_LIMIT }];
  if (args.ip) limits.unshift({ key: `challenge-ip:${ip}`, limit: CHALLENGE_IP_LIMIT });
  await hitRateLimits(db, limits, args.clock);
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
  await sqlRows(db, NEW_CHALLENGE, [randomUUID(), nonce, serial, args.origin, args.purpose, expiresAt, now]);
  return { text, expiresAt };
}

/**
 * The challenge the new key signs to confirm 下证's installation (a `login` challenge for the new certificate), handed
 * out with the 下证 answer. The certificate is issued whatever comes of this: past the challenge limits there is none,
 * and the wizard asks /api/renew/challenge itself.
 */
export async function installChallenge(
  db: Tx,
  args: { serial: string; origin: string; clock: Clock; ip?: string | null },
): Promise<IssuedChallenge | undefined> {
  try {
    return await issueChallenge(db, { ...args, purpose: "login" });
  } catch (e) {
    if (isDomainError(e)) return undefined;
    throw e;
  }
}

function parse(text: string): ChallengeFields {
  try {
    return parseChallenge(text);
  } catch {
    throw new DomainError("POP_CHALLENGE_INVALID");
  }
}

// every sign-in and every 下证 runs both (lib/db/lean.ts)
const NEW_CHALLENGE = `INSERT INTO "Challenge" ("id", "nonce", "serial", "origin", "purpose", "expiresAt", "createdAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;
const USE_CHALLENGE = `UPDATE "Challenge" SET "usedAt" = $5
  WHERE "nonce" = $1 AND "serial" = $2 AND "origin" = $3 AND "purpose" = $4 AND "usedAt" IS NULL AND "expiresAt" > $5
  RETURNING "nonce"`;

/** Marks the challenge used, exactly once across every instance; says why when it cannot. */
async function consume(db: Tx, fields: ChallengeFields, clock: Clock): Promise<void> {
  const now = clock.now();
  const { nonce, serial, origin, purpose } = fields;
  const used = await sqlRows(db, USE_CHALLENGE, [nonce, serial, origin, purpose, now]);
  if (used.length === 1) return;
  const row = await db.challenge.findUnique({ where: { nonce: fields.nonce } });
  if (!row || row.serial !== fields.serial || row.origin !== fields.origin || row.purpose !== fields.purpose)
    throw new DomainError("POP_CHALLENGE_INVALID");
  if (row.usedAt) throw new DomainError("POP_CHALLENGE_USED");
  throw new DomainError("POP_CHALLENGE_EXPIRED");
}

export interface ProofInput {
  challengeText: string;
  signatureB64: string;
  purpose: ChallengePurpose;
  /** the portal's own origin: a challenge made for another site is refused */
  origin: string;
  /** required for purpose "issue": the SHA-256 (hex) of the CSR being submitted */
  csrSha256?: string;
  clock: Clock;
}

/**
 * Checks a signed challenge and returns the registry certificate whose key signed it. The challenge is
 * consumed first (a failed attempt needs a new one); expired, reused, foreign-origin, wrong-purpose and
 * wrong-CSR challenges are refused, as are unknown and revoked certificates.
 */
export async function verifyProof(db: Tx, input: ProofInput): Promise<Certificate> {
  const fields = parse(input.challengeText);
  if (fields.origin !== input.origin || fields.purpose !== input.purpose)
    throw new DomainError("POP_CHALLENGE_INVALID");
  if (input.purpose === "issue" && fields.csrSha256 !== input.csrSha256?.toLowerCase())
    throw new DomainError("POP_CSR_MISMATCH");
  await consume(db, fields, input.clock);

  const certificate = await uniqueRow(db, "Certificate", "serial", fields.serial);
  if (!certificate) throw new DomainError("CERT_UNKNOWN");
  if (certificate.status === "revoked") throw new DomainError("CERT_REVOKED");
  const spki = certificateSpki(Buffer.from(certificate.der));
  if (!verifyChallengeSignature(input.challengeText, input.signatureB64, spki))
    throw new DomainError("POP_SIGNATURE_INVALID");
  return certificate;
}

/** sign-ins per client address; applied only when the address is known (TRUST_PROXY or x-real-ip) */
export const LOGIN_LIMIT = { max: 60, windowMs: 10 * MINUTE };

/**
 * A sign-in's proof: the client address's sign-in limit (per `scope`: the holder's wizard or 大客户专区), then the
 * signed `login` challenge. Returns the certificate whose key signed.
 */
export async function verifyLoginProof(
  db: Tx,
  input: { challengeText: string; signatureB64: string; origin: string; actor: Actor; clock: Clock },
  scope: "login" | "org-login",
): Promise<Certificate> {
  const { clock, actor } = input;
  if (actor.ip) await hitRateLimit(db, `${scope}:${actor.ip}`, LOGIN_LIMIT, clock);
  return verifyProof(db, {
    challengeText: input.challengeText,
    signatureB64: input.signatureB64,
    purpose: "login",
    origin: input.origin,
    clock,
  });
}

/** Deletes challenges that expired more than a day ago (a periodic job). Returns how many. */
export async function purgeChallenges(db: Tx, clock: Clock): Promise<number> {
  const { count } = await db.challenge.deleteMany({
    where: { expiresAt: { lt: new Date(clock.now().getTime() - CHALLENGE_RETENTION_MS) } },
  });
  return count;
}

/**
 * The session a proof of possession opens (the holder's wizard, or an organisation's 大客户专区: kind `org`), created
 * with its audit event in one transaction. The actor is the certificate whose key signed.
 */
export async function openProvenSession(
  db: Db,
  args: {
    kind: "holder" | "org";
    certificateId: string;
    actor: Actor;
    clock: Clock;
    audit: { action: string; targetType: string; targetId: string; data: Record<string, string> };
  },
): Promise<NewSession> {
  const { actor, clock } = args;
  return withSqlTx(db, async (tx) => {
    const created = await createSession(
      tx,
      { kind: args.kind, certificateId: args.certificateId, ip: actor.ip, userAgent: actor.userAgent },
      clock,
    );
    await appendAudit(
      tx,
      { ...actorFields({ ...actor, type: args.kind, id: args.certificateId }), ...args.audit },
      clock,
    );
    return created;
  });
}
