import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deserialize, memoryTransactionStore, serialize, type OpenTransaction } from "./transactions";

describe("open CMP transactions", () => {
  const tx = { id: randomBytes(16), recipient: randomBytes(20), caNonce: randomBytes(16) };

  it.each<OpenTransaction>([
    { kind: "waiting", tx, certReqId: 0 },
    { kind: "waiting", tx: { id: tx.id, recipient: tx.recipient }, certReqId: -1 },
    { kind: "confirming", tx, certReqId: 0, certDer: randomBytes(300), chainDer: [randomBytes(200), randomBytes(10)] },
  ])("survive serialisation ($kind)", (t) => {
    expect(deserialize(serialize(t))).toEqual(t);
  });

  it("reads anything it did not write as no open transaction (the request is then sent afresh)", () => {
    for (const s of [
      "",
      "{",
      "null",
      '{"kind":"waiting"}',
      '{"kind":"other","tx":{"id":"","recipient":""},"certReqId":0}',
    ])
      expect(deserialize(s)).toBeUndefined();
  });

  it("forgets the oldest in memory past its bound", async () => {
    const store = memoryTransactionStore();
    for (let i = 0; i <= 10_000; i++) await store.set(String(i), "x");
    expect(await store.get("0")).toBeUndefined();
    expect(await store.get("10000")).toBe("x");
    await store.delete("10000");
    expect(await store.get("10000")).toBeUndefined();
  });
});
