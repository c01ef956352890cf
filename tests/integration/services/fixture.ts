import { sign, type KeyObject } from "node:crypto";
import type { Actor } from "@/lib/audit";
import { afterAll, beforeAll } from "vitest";
import type { OpenDb, Tx } from "@/lib/db";
import { createTestDb } from "@/tests/helpers/db";
import type { Ca } from "@/lib/pki/ca";
import { createTestCa, insertHolderCertificate } from "@/tests/helpers/pki";

export const ORIGIN = "http://127.0.0.1:9";
export const HOLDER_ID = "370101199001011234";
export const ACTOR: Actor = { type: "holder", id: null, ip: "203.0.113.7", userAgent: "vitest" };
export const DAY = 86_400_000;

/** A registered holder certificate expiring `daysLeft` days after `now`, with its key. */
export function holder(db: Tx, ca: Ca, now: Date, daysLeft: number) {
  return insertHolderCertificate(db, ca, {
    notBefore: new Date(now.getTime() - 300 * DAY),
    notAfter: new Date(now.getTime() + daysLeft * DAY),
  });
}

/** What the assistant does after the PIN: SHA-256 over the challenge text, DER ECDSA / PKCS#1 v1.5. */
export function signChallenge(text: string, key: KeyObject): string {
  return sign("sha256", Buffer.from(text, "utf8"), key).toString("base64");
}

/** A fresh migrated database and test CA for one file, closed after it. */
export function useServicesDb(): { db: () => OpenDb; ca: () => Ca } {
  let db: OpenDb;
  let ca: Ca;
  beforeAll(async () => {
    db = await createTestDb();
    ({ ca } = await createTestCa());
  });
  afterAll(async () => db?.close());
  return { db: () => db, ca: () => ca };
}
