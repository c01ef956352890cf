import "@/tests/helpers/env";
import { beforeAll, expect, test } from "vitest";
import { HANDLER, HOLDER, SYSTEM, insertCertificate, useOrdersDb } from "@/tests/helpers/orders";
import type { Db } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { getConfig } from "@/lib/config";
import { blindIndex, decryptField, encryptField } from "@/lib/crypto/field";
import { createDraftOrder } from "@/lib/renewal/create-order";
import { createStaffUser } from "@/lib/staff/users";
import { rekeyFields } from "@/lib/ops/rekey";

/**
 * FIELD_ENCRYPTION_KEY rotation (lib/ops/rekey.ts, `npm run fields:rekey`): every sealed column opens with the new
 * key afterwards and no longer with the old one, blind indexes follow the new key, a second run changes nothing,
 * and a value sealed with some third key is reported and left alone.
 */

const clock = fixedClock("2026-11-30T02:00:00Z");
const getDb = useOrdersDb(clock);
let db: Db;
beforeAll(() => {
  db = getDb();
});

const OLD = { ...getConfig() };
const NEW = { ...OLD, FIELD_ENCRYPTION_KEY: "ff".repeat(32) };
const OTHER = { ...OLD, FIELD_ENCRYPTION_KEY: "ab".repeat(32) };
const ID = "370102199001011231";

test("re-encrypts certificates, orders and TOTP secrets under the new key; a second run changes nothing", async () => {
  const certs = [];
  for (let i = 0; i < 5; i++)
    certs.push(
      await insertCertificate(db, { holderIdEnc: encryptField(OLD, ID + i), holderIdHash: blindIndex(OLD, ID + i) }),
    );
  const orders = [];
  for (const cert of certs.slice(0, 3))
    orders.push(
      await createDraftOrder(db, {
        keys: OLD,
        certificate: cert,
        handler: HANDLER,
        actor: HOLDER,
        clock,
        locale: "zh-CN",
      }),
    );
  const staff = await createStaffUser(
    db,
    { username: "rekey.admin", password: "Correct-Horse-Battery-9", role: "admin" },
    SYSTEM,
    clock,
  );
  await db.staffUser.update({
    where: { id: staff.id },
    data: { totpSecret: encryptField(OLD, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") },
  });
  // one value already rotated (a run stopped half-way) and one that neither key opens
  const done = await insertCertificate(db, {
    holderIdEnc: encryptField(NEW, "X1"),
    holderIdHash: blindIndex(NEW, "X1"),
  });
  const lost = await insertCertificate(db, { holderIdEnc: encryptField(OTHER, "X2"), holderIdHash: "h" });
  const orderUpdatedAt = (await db.renewalOrder.findUniqueOrThrow({ where: { id: orders[0].id } })).updatedAt;
  const otherCerts = await db.certificate.count({ where: { id: { notIn: [...certs, done, lost].map((c) => c.id) } } });

  const first = await rekeyFields(db, OLD, NEW, { batch: 2 });
  expect(first).toMatchObject({ certificates: 5 + otherCerts, orders: 3, staff: 1, unreadable: 1 });
  expect(first.alreadyNew).toBeGreaterThanOrEqual(1);

  for (const [i, c] of certs.entries()) {
    const row = await db.certificate.findUniqueOrThrow({ where: { id: c.id } });
    expect(decryptField(NEW, row.holderIdEnc)).toBe(ID + i);
    expect(() => decryptField(OLD, row.holderIdEnc)).toThrow();
    expect(row.holderIdHash).toBe(blindIndex(NEW, ID + i));
  }
  for (const o of orders) {
    const row = await db.renewalOrder.findUniqueOrThrow({ where: { id: o.id } });
    expect(decryptField(NEW, row.handlerIdEnc)).toBe(HANDLER.idNumber);
    expect(decryptField(NEW, row.handlerMobileEnc)).toBe(HANDLER.mobile);
  }
  // the order's own time is not touched by a re-encryption
  expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: orders[0].id } })).updatedAt).toEqual(orderUpdatedAt);
  const s = await db.staffUser.findUniqueOrThrow({ where: { id: staff.id } });
  expect(decryptField(NEW, s.totpSecret!)).toBe("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
  expect((await db.certificate.findUniqueOrThrow({ where: { id: done.id } })).holderIdHash).toBe(blindIndex(NEW, "X1"));
  expect((await db.certificate.findUniqueOrThrow({ where: { id: lost.id } })).holderIdEnc).toBe(lost.holderIdEnc);

  const second = await rekeyFields(db, OLD, NEW);
  expect(second).toMatchObject({ certificates: 0, orders: 0, staff: 0, unreadable: 1 });
});
