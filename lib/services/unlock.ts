import { createHmac, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import type { Db, Tx } from "../db";
import { HOUR, MINUTE, type Clock } from "../clock";
import { actorFields, appendAudit, type Actor, withTx } from "../audit";
import { verifyCaptcha, type CaptchaConfig } from "../captcha";
import type { Config } from "../config";
import { blindIndex, decryptField } from "../crypto/field";
import { matchesAnySessionSecret } from "../crypto/link-token";
import type { Certificate, UnlockRequest } from "../generated/prisma/client";
import { DomainError, isDomainError, type ErrorCode } from "../errors";
import type { Locale } from "../errors/types";
import { enqueueMail } from "../outbox";
import { hitRateLimit, type Limit } from "../ratelimit";
import { maskEmail } from "../privacy/mask";
import { deriveSoPin } from "../token/so-pin";
import { registeredCertificate } from "./certificate";
import { smsCodeSender } from "./unlock-sms";

/**
 * 证书在线解锁 (online PIN unlock) for a key whose PIN is forgotten or locked. The key cannot sign, so the holder
 * is identified by the certificate and token serial the assistant reads without the PIN, the ID number on record,
 * a one-time code sent to the contact on record, and a captcha. Only then does the server release the token's
 * security-officer PIN (derived from the master secret and the token serial, never stored) together with the next
 * one; the assistant sets the new user PIN and rotates the SO PIN, and the confirmation moves the server's version.
 *
 * Steps: start (captcha + ID number → code sent) → release (code → SO PINs, once) → confirm (or report failure).
 * Every step is rate-limited and audited; a refused step changes nothing but the attempt counters.
 */

const UNLOCK_CODE_TTL_MS = 10 * MINUTE;
export const UNLOCK_MAX_CODE_ATTEMPTS = 5;
/**
 * per client address, then per (certificate, client address): identity checks and codes sent. Never per certificate
 * alone: a certificate is public, and a limit anyone can fill would block its holder's unlock.
 */
const UNLOCK_START_LIMITS = {
  ip: { max: 10, windowMs: HOUR },
  certificate: { max: 5, windowMs: HOUR },
} satisfies Record<string, Limit>;
const UNLOCK_RELEASE_LIMIT: Limit = { max: 30, windowMs: 10 * MINUTE };

/** Delivers the one-time code; e-mail in the demo, an SMS gateway can be added beside it. */
export interface CodeSender {
  channel: "email" | "sms";
  /** queues the code in the caller's transaction; returns the masked destination, or null when there is none on record */
  send(
    tx: Tx,
    args: { certificate: Certificate; code: string; expiresAt: Date; locale: Locale },
    clock: Clock,
  ): Promise<string | null>;
}

const emailCodeSender: CodeSender = {
  channel: "email",
  async send(tx, { certificate, code, expiresAt, locale }, clock) {
    if (!certificate.email) return null;
    await enqueueMail(
      tx,
      {
        to: certificate.email,
        template: "unlock_code",
        locale,
        certificateId: certificate.id,
        data: { holderName: certificate.holderName, serial: certificate.serial, code, expiresAt },
      },
      clock,
    );
    return maskEmail(certificate.email);
  },
};

interface StepContext {
  clock: Clock;
  actor: Actor;
  /** the code's HMAC secret, the SO PIN master secret, the ID number's blind-index key, the captcha's settings */
  config: Pick<Config, "SESSION_SECRET" | "SO_PIN_MASTER_SECRET" | "FIELD_ENCRYPTION_KEY"> & CaptchaConfig;
}

function codeHash(secret: string, requestId: string, code: string): string {
  return createHmac("sha256", secret).update(`unlock-code:${requestId}:${code.trim()}`).digest("hex");
}

/** The code hash was made with the session secret now or, during a rotation, with the previous one. */
function codeMatches(config: CaptchaConfig, req: UnlockRequest, code: string): boolean {
  return matchesAnySessionSecret(config, req.codeHash, (secret) => codeHash(secret, req.id, code));
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

async function audit(
  db: Db,
  ctx: StepContext,
  action: string,
  target: { certificateId: string | null; data?: Record<string, unknown> },
): Promise<void> {
  await withTx(db, (tx) =>
    appendAudit(
      tx,
      {
        ...actorFields(ctx.actor),
        action: `unlock.${action}`,
        targetType: "certificate",
        targetId: target.certificateId,
        data: target.data ?? {},
      },
      ctx.clock,
    ),
  );
}

/** Counts an attempt; over the limit it is UNLOCK_TOO_MANY_ATTEMPTS (audited), saying when to come back. */
async function limit(db: Db, ctx: StepContext, key: string, l: Limit, certificateId: string | null): Promise<void> {
  try {
    await hitRateLimit(db, key, l, ctx.clock);
  } catch (e) {
    if (!isDomainError(e) || e.code !== "RATE_LIMITED") throw e;
    const retryAfter = Number(e.details.retryAfter ?? 60);
    await audit(db, ctx, "too_many_attempts", { certificateId, data: { scope: key.split(":")[1] } });
    throw new DomainError("UNLOCK_TOO_MANY_ATTEMPTS", { retryAfter, retryAfterMinutes: Math.ceil(retryAfter / 60) });
  }
}

async function refuse(
  db: Db,
  ctx: StepContext,
  code: ErrorCode,
  action: string,
  certificateId: string | null,
  details: Record<string, unknown> = {},
): Promise<never> {
  await audit(db, ctx, action, { certificateId, data: { code } });
  throw new DomainError(code, details);
}

export interface StartUnlockInput {
  certificateDer: Buffer;
  tokenSerial: string;
  idNumber: string;
  captchaId: string;
  captchaAnswer: string;
  locale: Locale;
}

export interface StartedUnlock {
  requestId: string;
  expiresAt: string;
  /** masked destinations, e.g. ["z***@example.cn"] */
  sentTo: string[];
}

export async function startUnlock(
  db: Db,
  input: StartUnlockInput,
  ctx: StepContext & { senders?: CodeSender[] },
): Promise<StartedUnlock> {
  await limit(db, ctx, `unlock-start:ip:${ctx.actor.ip ?? "unknown"}`, UNLOCK_START_LIMITS.ip, null);
  await verifyCaptcha(db, input.captchaId, input.captchaAnswer, ctx.clock, ctx.config, ctx.actor.ip ?? null);
  const certificate = await registeredCertificate(db, input.certificateDer, "UNLOCK_CERT_UNKNOWN");
  await limit(
    db,
    ctx,
    `unlock-start:cert:${certificate.id}:${ctx.actor.ip ?? "unknown"}`,
    UNLOCK_START_LIMITS.certificate,
    certificate.id,
  );
  if (certificate.status === "revoked") await refuse(db, ctx, "CERT_REVOKED", "refused", certificate.id);
  // both checks always run; the audit says which failed, the answer does not
  const tokenMatches = Boolean(certificate.tokenSerial) && certificate.tokenSerial === input.tokenSerial.trim();
  const idMatches = sameHash(blindIndex(ctx.config, input.idNumber), certificate.holderIdHash);
  if (!tokenMatches) await refuse(db, ctx, "UNLOCK_IDENTITY_MISMATCH", "token_mismatch", certificate.id);
  if (!idMatches) await refuse(db, ctx, "UNLOCK_IDENTITY_MISMATCH", "id_mismatch", certificate.id);
  // a key from the operator's previous system whose admin PIN was not in its export (certs:import)
  const token = await db.tokenRecord.findUnique({ where: { tokenSerial: certificate.tokenSerial! } });
  if (token?.adminPinUnknown && token.soPinVersion === 0)
    await refuse(db, ctx, "UNLOCK_IN_PERSON", "admin_pin_unknown", certificate.id);

  const senders = ctx.senders ?? [emailCodeSender, smsCodeSender(ctx.config)];
  const now = ctx.clock.now();
  const id = randomUUID();
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const expiresAt = new Date(now.getTime() + UNLOCK_CODE_TTL_MS);
  const sentTo = await withTx(db, async (tx) => {
    // only the newest code counts: earlier unused ones end now
    await tx.unlockRequest.updateMany({
      where: { certificateId: certificate.id, verifiedAt: null, expiresAt: { gt: now } },
      data: { expiresAt: now },
    });
    await tx.unlockRequest.create({
      data: {
        id,
        certificateId: certificate.id,
        tokenSerial: certificate.tokenSerial!,
        codeHash: codeHash(ctx.config.SESSION_SECRET, id, code),
        expiresAt,
        createdAt: now,
      },
    });
    const sent: string[] = [];
    const channels: CodeSender["channel"][] = [];
    for (const sender of senders) {
      const to = await sender.send(tx, { certificate, code, expiresAt, locale: input.locale }, ctx.clock);
      if (to) {
        sent.push(to);
        channels.push(sender.channel);
      }
    }
    if (sent.length === 0) throw new DomainError("UNLOCK_NO_CONTACT");
    await appendAudit(
      tx,
      {
        ...actorFields(ctx.actor),
        action: "unlock.code_sent",
        targetType: "certificate",
        targetId: certificate.id,
        data: { requestId: id, channels },
      },
      ctx.clock,
    );
    return sent;
  });
  return { requestId: id, expiresAt: expiresAt.toISOString(), sentTo };
}

/**
 * Checks the code of a request that has not been verified yet. A wrong code counts against the request (the last
 * allowed miss ends it); expired, used and exhausted requests are refused without counting.
 */
async function checkCode(db: Db, ctx: StepContext, requestId: string, code: string): Promise<UnlockRequest> {
  const req = await db.unlockRequest.findUnique({ where: { id: requestId } });
  if (!req) return refuse(db, ctx, "UNLOCK_REQUEST_INVALID", "request_invalid", null);
  if (req.verifiedAt || req.completedAt) return refuse(db, ctx, "UNLOCK_CODE_USED", "code_reused", req.certificateId);
  if (req.attempts >= UNLOCK_MAX_CODE_ATTEMPTS)
    return refuse(db, ctx, "UNLOCK_TOO_MANY_ATTEMPTS", "too_many_attempts", req.certificateId, {
      retryAfterMinutes: UNLOCK_CODE_TTL_MS / MINUTE,
    });
  if (req.expiresAt.getTime() <= ctx.clock.now().getTime())
    return refuse(db, ctx, "UNLOCK_CODE_EXPIRED", "code_expired", req.certificateId);
  if (!codeMatches(ctx.config, req, code)) {
    const counted = await db.unlockRequest.updateMany({
      where: { id: req.id, attempts: { lt: UNLOCK_MAX_CODE_ATTEMPTS } },
      data: { attempts: { increment: 1 } },
    });
    const attempts = counted.count === 1 ? req.attempts + 1 : UNLOCK_MAX_CODE_ATTEMPTS;
    const attemptsLeft = UNLOCK_MAX_CODE_ATTEMPTS - attempts;
    if (attemptsLeft <= 0)
      return refuse(db, ctx, "UNLOCK_TOO_MANY_ATTEMPTS", "too_many_attempts", req.certificateId, {
        retryAfterMinutes: UNLOCK_CODE_TTL_MS / MINUTE,
      });
    return refuse(db, ctx, "UNLOCK_CODE_INVALID", "code_invalid", req.certificateId, { attemptsLeft });
  }
  return req;
}

export interface ReleasedSoPins {
  soPin: string;
  newSoPin: string;
  /** offered when an earlier release for this token was never confirmed: the token may already be one version ahead */
  alternative?: { soPin: string; newSoPin: string };
}

/** The code, once: marks the request verified and releases the current and next SO PIN of its token. */
export async function releaseSoPin(
  db: Db,
  input: { requestId: string; code: string },
  ctx: StepContext,
): Promise<ReleasedSoPins> {
  await limit(db, ctx, `unlock-release:ip:${ctx.actor.ip ?? "unknown"}`, UNLOCK_RELEASE_LIMIT, null);
  const req = await checkCode(db, ctx, input.requestId, input.code);
  const secret = ctx.config.SO_PIN_MASTER_SECRET;
  const now = ctx.clock.now();
  let importedPin: string | null = null;
  const released = await withTx(db, async (tx) => {
    const record = await tx.tokenRecord.findUnique({ where: { tokenSerial: req.tokenSerial } });
    importedPin = record?.adminPinEnc ? decryptField(ctx.config, record.adminPinEnc) : null;
    const version = record?.soPinVersion ?? 0;
    const unconfirmed = await tx.unlockRequest.count({
      where: {
        tokenSerial: req.tokenSerial,
        id: { not: req.id },
        verifiedAt: { not: null },
        completedAt: null,
        soPinVersion: version,
      },
    });
    const won = await tx.unlockRequest.updateMany({
      where: {
        id: req.id,
        verifiedAt: null,
        completedAt: null,
        expiresAt: { gt: now },
        attempts: { lt: UNLOCK_MAX_CODE_ATTEMPTS },
      },
      data: { verifiedAt: now, soPinVersion: version, soPinAlt: unconfirmed > 0 },
    });
    if (won.count !== 1) return null;
    await appendAudit(
      tx,
      {
        ...actorFields(ctx.actor),
        action: "unlock.so_pin_released",
        targetType: "certificate",
        targetId: req.certificateId,
        data: { requestId: req.id, tokenSerial: req.tokenSerial, soPinVersion: version, alternative: unconfirmed > 0 },
      },
      ctx.clock,
    );
    return { version, alternative: unconfirmed > 0 };
  });
  if (!released) return refuse(db, ctx, "UNLOCK_CODE_USED", "code_reused", req.certificateId);
  // version 0 of an imported token is the operator's admin PIN; the first online unlock rotates it to the derived scheme
  const pin = (v: number) => (v === 0 && importedPin ? importedPin : deriveSoPin(secret, req.tokenSerial, v));
  return {
    soPin: pin(released.version),
    newSoPin: pin(released.version + 1),
    ...(released.alternative
      ? { alternative: { soPin: pin(released.version + 1), newSoPin: pin(released.version + 2) } }
      : {}),
  };
}

/** A released request and its code again: only the page that did the unlock can confirm or report it. */
async function releasedRequest(
  db: Db,
  ctx: StepContext,
  requestId: string,
  code: string,
): Promise<UnlockRequest & { soPinVersion: number }> {
  await limit(db, ctx, `unlock-confirm:ip:${ctx.actor.ip ?? "unknown"}`, UNLOCK_RELEASE_LIMIT, null);
  const req = await db.unlockRequest.findUnique({ where: { id: requestId } });
  if (!req || !codeMatches(ctx.config, req, code))
    return refuse(db, ctx, "UNLOCK_REQUEST_INVALID", "request_invalid", req?.certificateId ?? null);
  if (!req.verifiedAt || req.soPinVersion === null || req.completedAt)
    return refuse(db, ctx, "UNLOCK_NOT_RELEASED", "confirm_refused", req.certificateId);
  return { ...req, soPinVersion: req.soPinVersion };
}

/** The assistant set the new PIN and rotated the SO PIN (with the alternative pair when `usedAlternative`). */
export async function confirmUnlock(
  db: Db,
  input: { requestId: string; code: string; usedAlternative: boolean },
  ctx: StepContext,
): Promise<{ soPinVersion: number }> {
  const req = await releasedRequest(db, ctx, input.requestId, input.code);
  if (input.usedAlternative && !req.soPinAlt)
    return refuse(db, ctx, "UNLOCK_ROTATION_INVALID", "confirm_refused", req.certificateId);
  const rotatedTo = req.soPinVersion + (input.usedAlternative ? 2 : 1);
  return withTx(db, async (tx) => {
    const done = await tx.unlockRequest.updateMany({
      where: { id: req.id, completedAt: null },
      data: { completedAt: ctx.clock.now() },
    });
    if (done.count !== 1) throw new DomainError("UNLOCK_NOT_RELEASED");
    const current = (await tx.tokenRecord.findUnique({ where: { tokenSerial: req.tokenSerial } }))?.soPinVersion ?? 0;
    // never step back: a later unlock of the same token may have confirmed first
    const version = Math.max(current, rotatedTo);
    await tx.tokenRecord.upsert({
      where: { tokenSerial: req.tokenSerial },
      create: { tokenSerial: req.tokenSerial, soPinVersion: version },
      update: { soPinVersion: version },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(ctx.actor),
        action: "unlock.completed",
        targetType: "certificate",
        targetId: req.certificateId,
        fromState: "locked",
        toState: "unlocked",
        data: { requestId: req.id, tokenSerial: req.tokenSerial, soPinVersion: version },
      },
      ctx.clock,
    );
    return { soPinVersion: version };
  });
}

/** The assistant could not unlock: recorded for the helpdesk; the server's SO PIN version stays as it is. */
export async function reportUnlockFailure(
  db: Db,
  input: { requestId: string; code: string; errorCode: string },
  ctx: StepContext,
): Promise<void> {
  const req = await releasedRequest(db, ctx, input.requestId, input.code);
  await audit(db, ctx, "failed", {
    certificateId: req.certificateId,
    data: { requestId: req.id, tokenSerial: req.tokenSerial, errorCode: input.errorCode.slice(0, 64) },
  });
}
