import "@/tests/helpers/env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, OpenDb } from "@/lib/db";
import { dbTransactionStore } from "@/lib/pki/issuers/transaction-store";
import { createTestDb } from "@/tests/helpers/db";

let opened: OpenDb;
let db: Db;
beforeAll(async () => {
  opened = await createTestDb();
  db = opened.prisma as Db;
});
afterAll(async () => opened?.close());

describe("the upstream transaction store (open CMP transactions in the database)", () => {
  it("keeps a transaction's state across store instances (another process, a restart) until it is deleted", async () => {
    const a = dbTransactionStore(async () => db);
    const b = dbTransactionStore(async () => db);
    expect(await a.get("00ff")).toBeUndefined();
    await a.set("00ff", '{"kind":"waiting"}');
    expect(await b.get("00ff")).toBe('{"kind":"waiting"}');
    await b.set("00ff", '{"kind":"issued"}');
    expect(await a.get("00ff")).toBe('{"kind":"issued"}');
    await a.delete("00ff");
    await a.delete("00ff");
    expect(await b.get("00ff")).toBeUndefined();
  });
});
