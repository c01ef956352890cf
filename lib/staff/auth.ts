import type { Db, Tx } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { Session, StaffRole, StaffUser } from "../generated/prisma/client";
import { appendAudit, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import {
  checkBackoff,
  clearRateLimit,
  hitRateLimit,
  recordBackoffFailure,
  WorkGate,
  type Backoff,
  type Limit,
} from "../ratelimit";
import { createSession, loadSession, type NewSession } from "../session";
import { decryptField, type FieldKeys } from "../crypto/field";
import { hashPassword, needsRehash, unknownUserDelay, verifyPassword } from "./passwords";
import { acceptTotp } from "./totp";
import { roleMayUse, type StaffRouteKey } from "./permissions";

/**
 * Staff sign-in. The brakes against guessing come before any password is hashed, and none of them can be turned
 * against the rightful user from another address:
 * - per client address, a fixed-window count of attempts (hitRateLimit → RATE_LIMITED), in the database;
 * - per (username, client address), growing delays after failures: from the 5th on that pair waits 1, 2, 4 …
 *   minutes (at most 60) — the same for unknown and existing names, so the answer tells nothing (RATE_LIMITED);
 * - a cap on password hashes running at once in this process, and one per address (WorkGate): past it, an
 *   immediate RATE_LIMITED instead of a queue, so a flood cannot starve a real sign-in.
 * Unknown usernames wait as long as a password check takes (without hashing: a flood of made-up names costs
 * nothing) and get the same answers. The account's
 * `lockedUntil` only shows the newest lock on the users page; an admin's unlock clears it and every address's delay.
 */

export const LOGIN_LIMITS = {
  ip: { max: 30, windowMs: 15 * MINUTE },
} as const satisfies Record<string, Limit>;
export const LOCK_AFTER_FAILURES = 5;
export const LOGIN_BACKOFF: Backoff = {
  free: LOCK_AFTER_FAILURES,
  baseMs: MINUTE,
  maxMs: 60 * MINUTE,
  forgetMs: 24 * 60 * MINUTE,
};
/** password hashes at once in this process (libuv runs 4 threads), and per client address */
const hashGate = new WorkGate(3, 1);

/** The key of one username's failures from one client address. */
export const loginFailureKey = (username: string, ip: string | null | undefined) =>
  `staff.login.fail:${normaliseUsername(username)}:${ip ?? "unknown"}`;
/** Every address's failures of one username (an admin's unlock clears them all). */
export const loginFailurePrefix = (username: string) => `staff.login.fail:${normaliseUsername(username)}:`;

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export interface SignInInput {
  username: string;
  password: string;
  otp?: string;
  ip?: string | null;
  userAgent?: string | null;
}

/** The signed-in staff member as routes and pages see them: never the hash or the TOTP secret. */
export interface StaffIdentity {
  id: string;
  username: string;
  displayName: string | null;
  role: StaffRole;
  totpEnabled: boolean;
}

export function identityOf(u: StaffUser): StaffIdentity {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    totpEnabled: u.totpSecret !== null,
  };
}

async function recordFailure(db: Db, user: StaffUser, input: SignInInput, reason: string, clock: Clock): Promise<void> {
  const { lockedForMs } = await recordBackoffFailure(
    db,
    loginFailureKey(user.username, input.ip),
    LOGIN_BACKOFF,
    clock,
  );
  await withTx(db, async (tx) => {
    const [row] = await tx.$queryRaw<{ failedLogins: number }[]>`
      UPDATE "StaffUser" SET "failedLogins" = "failedLogins" + 1 WHERE "id" = ${user.id} RETURNING "failedLogins"`;
    // shown on the users page (locked from some address until …); sign-in itself checks the per-address delay
    if (lockedForMs > 0)
      await tx.staffUser.update({
        where: { id: user.id },
        data: { lockedUntil: new Date(clock.now().getTime() + lockedForMs) },
      });
    await appendAudit(
      tx,
      {
        actorType: "staff",
        actorId: user.id,
        action: "staff.sign_in_failed",
        targetType: "staff_user",
        targetId: user.id,
        ip: input.ip ?? null,
        userAgent: input.userAgent ?? null,
        data: { reason, failedLogins: row.failedLogins, lockedForMs },
      },
      clock,
    );
  });
}

export interface SignedIn extends NewSession {
  user: StaffIdentity;
}

/** `keys` opens the stored TOTP secret (FIELD_ENCRYPTION_KEY). */
export async function signIn(db: Db, keys: FieldKeys, input: SignInInput, clock: Clock): Promise<SignedIn> {
  const username = normaliseUsername(input.username);
  if (input.ip) await hitRateLimit(db, `staff.login.ip:${input.ip}`, LOGIN_LIMITS.ip, clock);
  const failureKey = loginFailureKey(username, input.ip);
  await checkBackoff(db, failureKey, LOGIN_BACKOFF, clock);
  const user = username ? await db.staffUser.findUnique({ where: { username } }) : null;
  if (!user || user.disabled) {
    await unknownUserDelay();
    await recordBackoffFailure(db, failureKey, LOGIN_BACKOFF, clock);
    throw new DomainError("STAFF_BAD_CREDENTIALS");
  }
  const leave = hashGate.enter(input.ip ?? "unknown");
  try {
    if (!(await verifyPassword(input.password, user.passwordHash))) {
      await recordFailure(db, user, input, "password", clock);
      throw new DomainError("STAFF_BAD_CREDENTIALS");
    }
  } finally {
    leave();
  }
  if (user.totpSecret) {
    if (!input.otp) throw new DomainError("STAFF_OTP_REQUIRED");
    if (!(await acceptTotp(db, user.id, decryptField(keys, user.totpSecret), input.otp, clock))) {
      await recordFailure(db, user, input, "otp", clock);
      throw new DomainError("STAFF_OTP_INVALID");
    }
  }
  const rehash = needsRehash(user.passwordHash) ? await hashPassword(input.password) : undefined;
  const signedIn = await withTx(db, async (tx) => {
    const fresh = await tx.staffUser.update({
      where: { id: user.id },
      data: { failedLogins: 0, lockedUntil: null, ...(rehash ? { passwordHash: rehash } : {}) },
    });
    const session = await createSession(
      tx,
      { kind: "staff", staffUserId: user.id, ip: input.ip, userAgent: input.userAgent },
      clock,
    );
    await appendAudit(
      tx,
      {
        actorType: "staff",
        actorId: user.id,
        action: "staff.signed_in",
        targetType: "staff_user",
        targetId: user.id,
        ip: input.ip ?? null,
        userAgent: input.userAgent ?? null,
        data: { role: user.role },
      },
      clock,
    );
    return { ...session, user: identityOf(fresh) };
  });
  await clearRateLimit(db, failureKey);
  return signedIn;
}

export interface StaffSession {
  session: Session;
  user: StaffIdentity;
}

/** The account behind a loaded staff session; a disabled or deleted account ends the session. */
export async function staffForSession(db: Tx, session: Session): Promise<StaffIdentity | null> {
  const user = session.staffUserId ? await db.staffUser.findUnique({ where: { id: session.staffUserId } }) : null;
  if (!user || user.disabled) {
    await db.session.deleteMany({ where: { id: session.id } });
    return null;
  }
  return identityOf(user);
}

/** The staff member behind a session cookie: null when the session is unknown, expired, or the account disabled. */
export async function authenticateStaff(db: Tx, token: string | undefined, clock: Clock): Promise<StaffSession | null> {
  const session = await loadSession(db, "staff", token, clock);
  const user = session ? await staffForSession(db, session) : null;
  return session && user ? { session, user } : null;
}

export type StaffAccess =
  { status: "ok"; staff: StaffSession } | { status: "unauthenticated" } | { status: "forbidden"; staff: StaffSession };

/** Authentication and the registry's permission for one page or route, in one place for the wrapper and the guard. */
export async function staffAccess(
  db: Tx,
  token: string | undefined,
  key: StaffRouteKey,
  clock: Clock,
): Promise<StaffAccess> {
  const staff = await authenticateStaff(db, token, clock);
  if (!staff) return { status: "unauthenticated" };
  return roleMayUse(staff.user.role, key) ? { status: "ok", staff } : { status: "forbidden", staff };
}

/** Ends one session, by its stored id (the hash of the cookie value). */
export async function signOut(db: Db, sessionId: string, actor: Actor, clock: Clock): Promise<void> {
  await withTx(db, async (tx) => {
    await tx.session.deleteMany({ where: { id: sessionId, kind: "staff" } });
    if (actor.id) {
      await appendAudit(
        tx,
        {
          actorType: "staff",
          actorId: actor.id,
          action: "staff.signed_out",
          targetType: "staff_user",
          targetId: actor.id,
          ip: actor.ip ?? null,
          userAgent: actor.userAgent ?? null,
        },
        clock,
      );
    }
  });
}

/** Ends every session of the user (this one included): after a lost laptop, or on a password reset. */
export async function signOutEverywhere(tx: Tx, userId: string, actor: Actor, clock: Clock): Promise<number> {
  const { count } = await tx.session.deleteMany({ where: { kind: "staff", staffUserId: userId } });
  await appendAudit(
    tx,
    {
      actorType: actor.type,
      actorId: actor.id ?? null,
      action: "staff.signed_out_everywhere",
      targetType: "staff_user",
      targetId: userId,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      data: { sessions: count },
    },
    clock,
  );
  return count;
}
