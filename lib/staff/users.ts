import { z } from "zod";
import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import { Prisma, type StaffRole, type StaffUser } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { decryptField, encryptField, type FieldKeys } from "../crypto/field";
import { assertPasswordStrength, hashPassword } from "./passwords";
import { identityOf, loginFailurePrefix, signOutEverywhere, type StaffIdentity } from "./auth";
import { clearRateLimitPrefix } from "../ratelimit";
import { ROLES } from "./permissions";
import { acceptTotp, newTotpSecret, totpUri } from "./totp";

/** Staff accounts: every change is audited in its own transaction; a password reset or disabling ends all sessions. */

const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9._-]{2,31}$/, "username");
export const Role = z.enum(ROLES);

export interface NewStaffUser {
  username: string;
  password: string;
  role: StaffRole;
  displayName?: string | null;
}

export async function createStaffUser(db: Db, input: NewStaffUser, actor: Actor, clock: Clock): Promise<StaffIdentity> {
  const parsed = Username.safeParse(input.username);
  if (!parsed.success) throw new DomainError("VALIDATION_FAILED", { fields: { username: "username" } });
  const username = parsed.data;
  assertPasswordStrength(input.password, username);
  const passwordHash = await hashPassword(input.password);
  try {
    return await withTx(db, async (tx) => {
      const user = await tx.staffUser.create({
        data: {
          username,
          passwordHash,
          role: input.role,
          displayName: input.displayName?.trim() || null,
          createdAt: clock.now(),
          passwordChangedAt: clock.now(),
        },
      });
      await appendAudit(
        tx,
        {
          ...actorFields(actor),
          action: "staff.created",
          targetType: "staff_user",
          targetId: user.id,
          data: { username, role: input.role },
        },
        clock,
      );
      return identityOf(user);
    });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002")
      throw new DomainError("STAFF_USERNAME_TAKEN");
    throw e;
  }
}

export async function listStaffUsers(
  db: Tx,
): Promise<(StaffIdentity & { disabled: boolean; lockedUntil: Date | null; createdAt: Date })[]> {
  const users = await db.staffUser.findMany({ orderBy: { username: "asc" } });
  return users.map((u) => ({
    ...identityOf(u),
    disabled: u.disabled,
    lockedUntil: u.lockedUntil,
    createdAt: u.createdAt,
  }));
}

async function loadUser(tx: Tx, id: string): Promise<StaffUser> {
  const user = await tx.staffUser.findUnique({ where: { id } });
  if (!user) throw new DomainError("STAFF_USER_NOT_FOUND");
  return user;
}

// serialises admin changes so two admins cannot demote each other and leave no admin at all
async function lockStaff(tx: Tx) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('staff_users'))`;
}

async function assertAnotherAdmin(tx: Tx, user: StaffUser) {
  if (user.role !== "admin" || user.disabled) return;
  const others = await tx.staffUser.count({ where: { role: "admin", disabled: false, id: { not: user.id } } });
  if (others === 0) throw new DomainError("STAFF_LAST_ADMIN");
}

export type StaffChange =
  | { kind: "disable" }
  | { kind: "enable" }
  | { kind: "role"; role: StaffRole }
  | { kind: "password"; password: string }
  | { kind: "unlock" };

/** One admin change to another account. Nobody disables themselves or changes their own role. */
export async function changeStaffUser(
  db: Db,
  userId: string,
  change: StaffChange,
  actor: Actor,
  clock: Clock,
): Promise<StaffIdentity> {
  if ((change.kind === "disable" || change.kind === "role") && actor.id === userId)
    throw new DomainError("STAFF_SELF_CHANGE");
  const passwordHash = change.kind === "password" ? await hashPassword(change.password) : undefined;
  return withTx(db, async (tx) => {
    await lockStaff(tx);
    const user = await loadUser(tx, userId);
    const audit = (action: string, data: Record<string, unknown> = {}) =>
      appendAudit(
        tx,
        {
          ...actorFields(actor),
          action,
          targetType: "staff_user",
          targetId: user.id,
          data: { username: user.username, ...data },
        },
        clock,
      );
    let updated: StaffUser;
    switch (change.kind) {
      case "disable":
        await assertAnotherAdmin(tx, user);
        updated = await tx.staffUser.update({ where: { id: user.id }, data: { disabled: true } });
        await audit("staff.disabled");
        await signOutEverywhere(tx, user.id, actor, clock);
        break;
      case "enable":
        updated = await tx.staffUser.update({
          where: { id: user.id },
          data: { disabled: false, failedLogins: 0, lockedUntil: null },
        });
        await audit("staff.enabled");
        break;
      case "role":
        if (change.role !== "admin") await assertAnotherAdmin(tx, user);
        updated = await tx.staffUser.update({ where: { id: user.id }, data: { role: change.role } });
        await audit("staff.role_changed", { from: user.role, to: change.role });
        break;
      case "password":
        assertPasswordStrength(change.password, user.username);
        updated = await tx.staffUser.update({
          where: { id: user.id },
          data: { passwordHash, passwordChangedAt: clock.now(), failedLogins: 0, lockedUntil: null },
        });
        await clearRateLimitPrefix(tx, loginFailurePrefix(user.username));
        await audit("staff.password_reset");
        await signOutEverywhere(tx, user.id, actor, clock);
        break;
      case "unlock":
        {
          updated = await tx.staffUser.update({ where: { id: user.id }, data: { failedLogins: 0, lockedUntil: null } });
          // every address's delay for this name, so the unlock really lets the user in
          const cleared = await clearRateLimitPrefix(tx, loginFailurePrefix(user.username));
          await audit("staff.unlocked", { addresses: cleared });
          break;
        }
        break;
    }
    return identityOf(updated);
  });
}

/**
 * TOTP enrolment, in two steps so a typo in the authenticator app cannot lock anyone out: `startTotp` returns a
 * secret and its otpauth:// URI (shown as a QR code); `confirmTotp` stores it (encrypted) once a code from the
 * app verifies.
 */
export function startTotp(user: Pick<StaffIdentity, "username">): { secret: string; uri: string } {
  const secret = newTotpSecret();
  return { secret, uri: totpUri(secret, user.username) };
}

export async function confirmTotp(
  db: Db,
  keys: FieldKeys,
  userId: string,
  secret: string,
  code: string,
  actor: Actor,
  clock: Clock,
): Promise<void> {
  if (!/^[A-Z2-7]{32}$/.test(secret)) throw new DomainError("VALIDATION_FAILED", { fields: { secret: "invalid" } });
  if (!(await acceptTotp(db, userId, secret, code, clock))) throw new DomainError("STAFF_OTP_INVALID");
  await withTx(db, async (tx) => {
    await tx.staffUser.update({ where: { id: userId }, data: { totpSecret: encryptField(keys, secret) } });
    await appendAudit(
      tx,
      { ...actorFields(actor), action: "staff.totp_enabled", targetType: "staff_user", targetId: userId },
      clock,
    );
  });
}

/** Turning the second factor off needs a current code, so a borrowed session alone cannot do it. */
export async function disableTotp(
  db: Db,
  keys: FieldKeys,
  userId: string,
  code: string,
  actor: Actor,
  clock: Clock,
): Promise<void> {
  const user = await loadUser(db, userId);
  if (!user.totpSecret) return;
  if (!(await acceptTotp(db, userId, decryptField(keys, user.totpSecret), code, clock)))
    throw new DomainError("STAFF_OTP_INVALID");
  await withTx(db, async (tx) => {
    await tx.staffUser.update({ where: { id: userId }, data: { totpSecret: null } });
    await appendAudit(
      tx,
      { ...actorFields(actor), action: "staff.totp_disabled", targetType: "staff_user", targetId: userId },
      clock,
    );
  });
}
