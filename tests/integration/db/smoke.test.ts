import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDb } from "../../helpers/db";
import type { OpenDb } from "@/lib/db";

let db: OpenDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.close();
});

test("a migrated database stores and reads a fee tier", async () => {
  const tier = await db.prisma.feeTier.create({
    data: {
      certType: "personal",
      payerClass: "self",
      fenPerYear: 5000,
      effectiveFrom: new Date("2020-01-01T00:00:00Z"),
    },
  });
  const back = await db.prisma.feeTier.findUniqueOrThrow({ where: { id: tier.id } });
  expect(back.fenPerYear).toBe(5000);
});
