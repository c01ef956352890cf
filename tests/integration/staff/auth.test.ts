import "@/tests/helpers/env";
import { getConfig } from "@/lib/config";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Secret, TOTP } from "otpauth";
import { createTestDb } from "@/tests/helpers/db";
import { codeOf } from "@/tests/helpers/orders";
import type { Db, OpenDb } from "@/lib/db";
import { MINUTE, HOUR, SECOND, type Clock } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { TIMEOUTS } from "@/lib/session";
import { authenticateStaff, LOCK_AFTER_FAILURES, LOGIN_LIMITS, signIn, signOutEverywhere } from "@/lib/staff/auth";
import { changeStaffUser, confirmTotp, createStaffUser, startTotp } from "@/lib/staff/users";
import { verifyAuditChain, withTx } from "@/lib/audit";

const ADMIN = { type: "system" as const, id: "test" };

/** What the staff member's authenticator app shows (RFC 6238: SHA-1, 6 digits, 30 s). */
function totpCode(secretBase32: string, clock: Clock): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), period: 30, timestamp: clock.now().getTime() });
}
const PASSWORD = "Correct-Horse-42!";
let open: OpenDb;
let db: Db;
const clock = fixedClock("2026-11-25T02:00:00Z");

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
});
afterAll(async () => {
  await open?.close();
});

let n = 0;
async function newUser(role: "helpdesk" | "admin" = "helpdesk") {
  const username = `user${++n}`;
  await createStaffUser(db, { username, password: PASSWORD, role }, ADMIN, clock);
  return username;
}

describe("staff sign-in", () => {
  test("the right password opens a session that authenticates the user", async () => {
    const username = await newUser();
    const s = await signIn(
      db,
      getConfig(),
      { username: username.toUpperCase(), password: PASSWORD, ip: "10.0.0.1" },
      clock,
    );
    expect(s.user.username).toBe(username);
    const auth = await authenticateStaff(db, s.token, clock);
    expect(auth?.user.role).toBe("helpdesk");
    expect(JSON.stringify(auth)).not.toContain("scrypt$");
  });

  test("a wrong password and an unknown user get the same answer", async () => {
    const username = await newUser();
    expect(await codeOf(signIn(db, getConfig(), { username, password: "wrong", ip: "10.0.0.2" }, clock))).toBe(
      "STAFF_BAD_CREDENTIALS",
    );
    expect(
      await codeOf(signIn(db, getConfig(), { username: "nobody", password: "wrong", ip: "10.0.0.2" }, clock)),
    ).toBe("STAFF_BAD_CREDENTIALS");
  });

  test(`after ${LOCK_AFTER_FAILURES} failures from one address that address waits, doubling; the owner elsewhere does not`, async () => {
    const c = fixedClock("2026-11-25T03:00:00Z");
    const username = await newUser();
    const ip = "10.1.0.1";
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++)
      expect(await codeOf(signIn(db, getConfig(), { username, password: "nope", ip }, c))).toBe(
        "STAFF_BAD_CREDENTIALS",
      );
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, ip }, c))).toBe("RATE_LIMITED");
    c.advance(MINUTE + SECOND);
    // one more failure after the first delay: two minutes now
    expect(await codeOf(signIn(db, getConfig(), { username, password: "nope", ip }, c))).toBe("STAFF_BAD_CREDENTIALS");
    c.advance(MINUTE + SECOND);
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, ip }, c))).toBe("RATE_LIMITED");
    // the rightful user on another address was never held up
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, ip: "10.1.1.9" }, c))).toBe("ok");
    c.advance(MINUTE);
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, ip }, c))).toBe("ok");
    const row = await db.staffUser.findUniqueOrThrow({ where: { username } });
    expect(row.failedLogins).toBe(0);
    expect(row.lockedUntil).toBeNull();
  });

  test("the delay answer says how long to wait", async () => {
    const c = fixedClock("2026-11-25T04:00:00Z");
    const username = await newUser();
    for (let i = 0; i < LOCK_AFTER_FAILURES; i++)
      await codeOf(signIn(db, getConfig(), { username, password: "nope", ip: "10.2.0.1" }, c));
    const err = await signIn(db, getConfig(), { username, password: PASSWORD, ip: "10.2.0.1" }, c).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "RATE_LIMITED", details: { retryAfter: 60 } });
  });

  test("one IP trying many usernames is rate limited", async () => {
    const c = fixedClock("2026-11-25T05:00:00Z");
    const codes: string[] = [];
    for (let i = 0; i <= LOGIN_LIMITS.ip.max; i++)
      codes.push(await codeOf(signIn(db, getConfig(), { username: `ghost${i}`, password: "x", ip: "192.0.2.99" }, c)));
    expect(codes.slice(0, LOGIN_LIMITS.ip.max).every((x) => x === "STAFF_BAD_CREDENTIALS")).toBe(true);
    expect(codes[LOGIN_LIMITS.ip.max]).toBe("RATE_LIMITED");
    c.advance(LOGIN_LIMITS.ip.windowMs);
    expect(await codeOf(signIn(db, getConfig(), { username: "ghost0", password: "x", ip: "192.0.2.99" }, c))).toBe(
      "STAFF_BAD_CREDENTIALS",
    );
  });

  test("a disabled account cannot sign in and its sessions end", async () => {
    const username = await newUser();
    const s = await signIn(db, getConfig(), { username, password: PASSWORD }, clock);
    await changeStaffUser(db, s.user.id, { kind: "disable" }, ADMIN, clock);
    expect(await authenticateStaff(db, s.token, clock)).toBeNull();
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD }, clock))).toBe(
      "STAFF_BAD_CREDENTIALS",
    );
  });

  test("failed and successful sign-ins are in the audit chain", async () => {
    const username = await newUser();
    await codeOf(signIn(db, getConfig(), { username, password: "bad", ip: "10.9.9.9" }, clock));
    const s = await signIn(db, getConfig(), { username, password: PASSWORD, ip: "10.9.9.9" }, clock);
    const actions = (await db.auditEvent.findMany({ where: { targetId: s.user.id }, orderBy: { seq: "asc" } })).map(
      (e) => e.action,
    );
    expect(actions).toEqual(["staff.created", "staff.sign_in_failed", "staff.signed_in"]);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });
});

describe("staff sessions", () => {
  test(`end after ${TIMEOUTS.staff.idleMs / MINUTE} idle minutes`, async () => {
    const c = fixedClock("2026-11-25T08:00:00Z");
    const username = await newUser();
    const s = await signIn(db, getConfig(), { username, password: PASSWORD }, c);
    c.advance(TIMEOUTS.staff.idleMs - MINUTE);
    expect(await authenticateStaff(db, s.token, c)).not.toBeNull();
    c.advance(TIMEOUTS.staff.idleMs - SECOND);
    expect(await authenticateStaff(db, s.token, c)).not.toBeNull();
    c.advance(TIMEOUTS.staff.idleMs);
    expect(await authenticateStaff(db, s.token, c)).toBeNull();
  });

  test(`end ${TIMEOUTS.staff.absoluteMs / HOUR} hours after sign-in however active`, async () => {
    const c = fixedClock("2026-11-25T09:00:00Z");
    const username = await newUser();
    const s = await signIn(db, getConfig(), { username, password: PASSWORD }, c);
    const steps = Math.floor(TIMEOUTS.staff.absoluteMs / (10 * MINUTE));
    for (let i = 1; i < steps; i++) {
      c.advance(10 * MINUTE);
      expect(await authenticateStaff(db, s.token, c)).not.toBeNull();
    }
    c.advance(10 * MINUTE);
    expect(await authenticateStaff(db, s.token, c)).toBeNull();
  });

  test("sign out everywhere ends every session of the account, and only that account's", async () => {
    const a = await newUser();
    const b = await newUser();
    const a1 = await signIn(db, getConfig(), { username: a, password: PASSWORD }, clock);
    const a2 = await signIn(db, getConfig(), { username: a, password: PASSWORD }, clock);
    const b1 = await signIn(db, getConfig(), { username: b, password: PASSWORD }, clock);
    const ended = await withTx(db, (tx) => signOutEverywhere(tx, a1.user.id, { type: "staff", id: a1.user.id }, clock));
    expect(ended).toBe(2);
    expect(await authenticateStaff(db, a1.token, clock)).toBeNull();
    expect(await authenticateStaff(db, a2.token, clock)).toBeNull();
    expect(await authenticateStaff(db, b1.token, clock)).not.toBeNull();
  });

  test("a password reset ends the account's sessions", async () => {
    const username = await newUser();
    const s = await signIn(db, getConfig(), { username, password: PASSWORD }, clock);
    await changeStaffUser(db, s.user.id, { kind: "password", password: "Another-Strong-77?" }, ADMIN, clock);
    expect(await authenticateStaff(db, s.token, clock)).toBeNull();
    expect(await codeOf(signIn(db, getConfig(), { username, password: "Another-Strong-77?" }, clock))).toBe("ok");
  });
});

describe("TOTP second factor", () => {
  test("once enrolled, sign-in needs a current code, and a code works only once", async () => {
    const c = fixedClock("2026-11-25T10:00:00Z");
    const username = await newUser("admin");
    const user = await db.staffUser.findUniqueOrThrow({ where: { username } });
    const { secret, uri } = startTotp(user);
    expect(uri).toMatch(/^otpauth:\/\/totp\/CertRenew:/);
    expect(await codeOf(confirmTotp(db, getConfig(), user.id, secret, "000000", ADMIN, c))).toBe("STAFF_OTP_INVALID");
    await confirmTotp(db, getConfig(), user.id, secret, totpCode(secret, c), ADMIN, c);
    expect((await db.staffUser.findUniqueOrThrow({ where: { id: user.id } })).totpSecret).not.toContain(secret);

    c.advance(MINUTE);
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD }, c))).toBe("STAFF_OTP_REQUIRED");
    const code = totpCode(secret, c);
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, otp: code }, c))).toBe("ok");
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, otp: code }, c))).toBe(
      "STAFF_OTP_INVALID",
    );
    c.advance(2 * MINUTE);
    expect(await codeOf(signIn(db, getConfig(), { username, password: PASSWORD, otp: code }, c))).toBe(
      "STAFF_OTP_INVALID",
    );
  });
});

describe("account management", () => {
  test("refuses a weak password", async () => {
    expect(
      await codeOf(createStaffUser(db, { username: "weakling", password: "short1A!", role: "helpdesk" }, ADMIN, clock)),
    ).toBe("STAFF_PASSWORD_WEAK");
    expect(
      await codeOf(
        createStaffUser(db, { username: "weakling", password: "weakling-Password-1", role: "helpdesk" }, ADMIN, clock),
      ),
    ).toBe("STAFF_PASSWORD_WEAK");
  });

  test("refuses a taken username", async () => {
    const username = await newUser();
    expect(await codeOf(createStaffUser(db, { username, password: PASSWORD, role: "helpdesk" }, ADMIN, clock))).toBe(
      "STAFF_USERNAME_TAKEN",
    );
  });

  test("the last active admin cannot be disabled or demoted, and nobody disables themselves", async () => {
    await db.staffUser.updateMany({ where: { role: "admin" }, data: { disabled: true } });
    const admin = await newUser("admin");
    const row = await db.staffUser.findUniqueOrThrow({ where: { username: admin } });
    const other = { type: "staff" as const, id: "someone-else" };
    expect(await codeOf(changeStaffUser(db, row.id, { kind: "disable" }, other, clock))).toBe("STAFF_LAST_ADMIN");
    expect(await codeOf(changeStaffUser(db, row.id, { kind: "role", role: "auditor" }, other, clock))).toBe(
      "STAFF_LAST_ADMIN",
    );
    expect(await codeOf(changeStaffUser(db, row.id, { kind: "disable" }, { type: "staff", id: row.id }, clock))).toBe(
      "STAFF_SELF_CHANGE",
    );
    const second = await newUser("admin");
    expect(await codeOf(changeStaffUser(db, row.id, { kind: "role", role: "auditor" }, other, clock))).toBe("ok");
    expect(second).toBeTruthy();
  });
});
