import "@/tests/helpers/env";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Secret, TOTP } from "otpauth";
import { createTestDb } from "@/tests/helpers/db";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { getConfig } from "@/lib/config";
import { systemClock, type Clock } from "@/lib/clock";
import { isDomainError } from "@/lib/errors";
import { PEER_HEADER } from "@/lib/http/request";
import { LOCK_AFTER_FAILURES, LOGIN_LIMITS, signIn } from "@/lib/staff/auth";
import { passwordDerivations } from "@/lib/staff/passwords";
import { changeStaffUser, confirmTotp, createStaffUser, startTotp } from "@/lib/staff/users";
import * as sessionRoute from "@/app/api/staff/session/route";

/**
 * Issue 21 items 6 and 7: staff sign-in cannot be starved by a flood of logins, nor turned against an account: the
 * same answer for unknown and locked names, delays per (name, client address), an admin's unlock clears them all,
 * and the rightful user with the right password and TOTP from a clean address gets in.
 */

const PASSWORD = "Correct-Horse-42!";
const SYSTEM = { type: "system" as const, id: "test" };
let open: OpenDb;
let db: Db;
let origin: string;

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
  setProcessDb(open);
  origin = getConfig().publicOrigin;
});
afterAll(async () => {
  await open?.close();
});

let n = 0;
async function newUser(withTotp = false) {
  const username = `sec${++n}`;
  const u = await createStaffUser(db, { username, password: PASSWORD, role: "admin" }, SYSTEM, systemClock);
  let secret: string | undefined;
  if (withTotp) {
    secret = startTotp(u).secret;
    await confirmTotp(db, getConfig(), u.id, secret, totp(secret, systemClock), SYSTEM, systemClock);
  }
  return { username, id: u.id, secret };
}
const totp = (secret: string, clock: Clock, offset = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), period: 30, timestamp: clock.now().getTime() + offset });

async function login(username: string, password: string, ip: string, otp?: string) {
  const res = await sessionRoute.POST(
    new Request(`${origin}/api/staff/session`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", [PEER_HEADER]: ip },
      body: JSON.stringify({ username, password, otp }),
    }),
  );
  const body = (await res.json()) as { error?: { code: string; message: string; details?: unknown } };
  return { status: res.status, code: body.error?.code ?? "ok", error: body.error };
}

describe("staff sign-in under attack", () => {
  test("a locked name and an unknown name get the same answer", async () => {
    const { username } = await newUser();
    const attacker = "203.0.113.7";
    const real: string[] = [];
    const ghost: string[] = [];
    for (let i = 0; i <= LOCK_AFTER_FAILURES; i++) {
      real.push((await login(username, "wrong", attacker)).code);
      ghost.push((await login("no-such-user", "wrong", attacker)).code);
    }
    expect(real).toEqual(ghost);
    const a = await login(username, "wrong", attacker);
    const b = await login("no-such-user", "wrong", attacker);
    expect(a.status).toBe(b.status);
    expect(a.status).toBe(429);
    expect(a.code).toBe(b.code);
    expect(a.error?.message.replace(/\d+/g, "N")).toBe(b.error?.message.replace(/\d+/g, "N"));
  });

  test("a name kept failing from one address (one try an hour) does not lock its owner out elsewhere", async () => {
    const { username, secret } = await newUser(true);
    for (let i = 0; i < LOCK_AFTER_FAILURES + 2; i++) await login(username, "wrong", "198.51.100.66");
    expect((await login(username, PASSWORD, "198.51.100.66", totp(secret!, systemClock))).status).toBe(429);
    // the next period's code: the current one was spent confirming the enrolment
    const owner = await login(username, PASSWORD, "192.0.2.10", totp(secret!, systemClock, 30_000));
    expect(owner).toMatchObject({ status: 200, code: "ok" });
  });

  test("an admin's unlock clears the name's delays on every address", async () => {
    const { username, id } = await newUser();
    for (const ip of ["198.51.100.1", "198.51.100.2"])
      for (let i = 0; i < LOCK_AFTER_FAILURES; i++) await login(username, "wrong", ip);
    expect((await login(username, PASSWORD, "198.51.100.1")).status).toBe(429);
    await changeStaffUser(db, id, { kind: "unlock" }, SYSTEM, systemClock);
    expect((await login(username, PASSWORD, "198.51.100.1")).status).toBe(200);
    expect((await login(username, PASSWORD, "198.51.100.2")).status).toBe(200);
    expect((await db.staffUser.findUniqueOrThrow({ where: { id } })).lockedUntil).toBeNull();
  });

  test("a flood of parallel logins is refused before hashing, and a real login still gets in", async () => {
    const { username } = await newUser();
    const codes = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (isDomainError(e) ? e.code : String(e)),
      );
    // 150 random names from one address and 150 from 150 addresses, all at once, with the real sign-in among them
    const flood = [
      ...Array.from({ length: 150 }, () =>
        codes(
          signIn(
            db,
            getConfig(),
            { username: randomBytes(6).toString("hex"), password: "x", ip: "192.0.2.200" },
            systemClock,
          ),
        ),
      ),
      ...Array.from({ length: 150 }, (_, i) =>
        codes(
          signIn(
            db,
            getConfig(),
            { username: randomBytes(6).toString("hex"), password: "x", ip: `10.66.${i >> 8}.${i & 255}` },
            systemClock,
          ),
        ),
      ),
    ];
    const before = passwordDerivations();
    const real = codes(signIn(db, getConfig(), { username, password: PASSWORD, ip: "192.0.2.1" }, systemClock));
    const answers = await Promise.all(flood);
    expect(answers.filter((c) => c !== "STAFF_BAD_CREDENTIALS" && c !== "RATE_LIMITED")).toEqual([]);
    // one address gets at most its window's worth of answers; the rest are refused at once
    expect(answers.slice(0, 150).filter((c) => c === "STAFF_BAD_CREDENTIALS").length).toBeLessThanOrEqual(
      LOGIN_LIMITS.ip.max,
    );
    expect(await real).toBe("ok");
    // made-up names cost no password hash at all: only the real sign-in (and the one timing sample) derived a key
    expect(passwordDerivations() - before).toBeLessThanOrEqual(2);
  });
});
