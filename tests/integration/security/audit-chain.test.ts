import "@/tests/helpers/env";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, test } from "vitest";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import type { Db, OpenDb } from "@/lib/db";
import { fixedClock } from "@/lib/dev/testing/clock";
import { appendAudit, currentChainKeys, verifyAuditChain, withTx, writeAuditCheckpoint } from "@/lib/audit";
import { chainKeysFrom, keyId, laneGenesis, keyring, plainHash, type Hashable } from "@/lib/audit/chain";
import { resetConfig } from "@/lib/config";
import { signCheckpoint } from "@/lib/audit/checkpoint";
import { sealedAndWaiting } from "@/tests/helpers/audit-lanes";

/**
 * Issue 21 item 3: the chain is keyed (HMAC with AUDIT_CHAIN_KEY, not in the database) and its head is checkpointed
 * outside the database, so re-computing the chain after an edit, deleting the newest rows, or editing a row in place
 * are each found and told apart. Each test below passed as "intact" with the unkeyed SHA-256 chain.
 */

let open: OpenDb;
let db: Db;
let dir: string;
let file: string;
const clock = fixedClock("2026-12-03T02:00:00Z");
const event = (i: number) => ({
  actorType: "system" as const,
  action: `test.${i}`,
  targetType: "test",
  targetId: String(i),
  data: { i },
});

async function append(n: number, from = 0) {
  for (let i = from; i < from + n; i++) await withTx(db, async (tx) => appendAudit(tx, event(i), clock));
}
const verify = () => verifyAuditChain(db, { checkpointFiles: [file] });
const rows = () => db.auditEvent.findMany({ orderBy: { seq: "asc" } });

/** What an attacker with only database access does after an edit: re-computes every hash after it, without the key. */
async function recomputeFrom(seq: number) {
  const all = await rows();
  let prev = all.find(
    (r) => r.seq < seq && r.seq === Math.max(...all.filter((x) => x.seq < seq).map((x) => x.seq)),
  )?.hash;
  prev ??= "0".repeat(64);
  for (const r of all.filter((x) => x.seq >= seq)) {
    const hash = plainHash({ ...(r as unknown as Hashable), prevHash: prev });
    await db.auditEvent.update({ where: { seq: r.seq }, data: { prevHash: prev, hash } });
    prev = hash;
  }
}

beforeEach(async () => {
  open = await createTestDb();
  db = open.prisma;
  dir = mkdtempSync(path.join(os.tmpdir(), "audit-chain-"));
  file = path.join(dir, "audit-checkpoints.jsonl");
});
afterEach(async () => {
  await open?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  delete process.env.CRYPTO_SUITE;
  resetConfig();
});

describe("the keyed audit chain (issue 21, item 3)", () => {
  test("new events are HMAC-sealed and record their algorithm; the chain and its checkpoint verify", async () => {
    await append(5);
    expect((await rows()).map((r) => r.alg)).toEqual(Array(5).fill("hmac-sha256"));
    const r = await writeAuditCheckpoint(db, clock, { file });
    expect(r.written).toMatchObject({ seq: (await rows())[4].seq, legacyHead: null });
    expect(await verify()).toMatchObject({ ok: true, checked: 5, checkpoints: 1 });
  });

  test("an edit re-computed without the key is reported as recomputed", async () => {
    await append(5);
    const victim = (await rows())[2];
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "data" = '{"i": 99}' WHERE "seq" = ${victim.seq}`);
    await recomputeFrom(victim.seq);
    expect(await verify()).toMatchObject({ ok: false, problem: "recomputed", brokenAt: victim.seq });
  });

  test("flipping the rows to the unkeyed algorithm and re-computing is reported as recomputed", async () => {
    await append(3);
    await writeAuditCheckpoint(db, clock, { file });
    const first = (await rows())[0];
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "alg" = 'sha256', "data" = '{"i": 7}'`);
    await recomputeFrom(first.seq);
    expect(await verify()).toMatchObject({ ok: false, problem: "recomputed", brokenAt: first.seq });
  });

  test("an edit in place is reported as edited", async () => {
    await append(4);
    const victim = (await rows())[1];
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "ip" = '203.0.113.9' WHERE "seq" = ${victim.seq}`);
    expect(await verify()).toMatchObject({ ok: false, problem: "edited", brokenAt: victim.seq });
  });

  test("deleting the newest rows after a checkpoint is reported as truncated", async () => {
    await append(6);
    await writeAuditCheckpoint(db, clock, { file });
    const all = await rows();
    await db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" > ${all[3].seq}`);
    expect(await verify()).toMatchObject({ ok: false, problem: "truncated", brokenAt: all[5].seq });
    // new events appended after the truncation do not hide it
    await append(3, 100);
    expect(await verify()).toMatchObject({ ok: false });
  });

  test("a row deleted in the middle is reported as deleted", async () => {
    await append(5);
    const all = await rows();
    await db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" = ${all[2].seq}`);
    expect(await verify()).toMatchObject({ ok: false, problem: "deleted", brokenAt: all[3].seq });
  });

  test("a forged checkpoint line does not verify; the job never signs a broken chain", async () => {
    await append(2);
    await writeAuditCheckpoint(db, clock, { file });
    const line = JSON.parse(readFileSync(file, "utf8").trim()) as { seq: number };
    writeFileSync(file, JSON.stringify({ ...line, seq: line.seq + 1 }) + "\n", { flag: "a" });
    expect(await verify()).toMatchObject({ ok: false, problem: "checkpoint-invalid" });

    writeFileSync(file, JSON.stringify(line) + "\n");
    await append(2, 10);
    const victim = (await rows())[3];
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "action" = 'x' WHERE "seq" = ${victim.seq}`);
    const before = readFileSync(file, "utf8");
    expect((await writeAuditCheckpoint(db, clock, { file })).problem).toMatchObject({ problem: "edited" });
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  test("events written before the keyed chain keep verifying, and the first checkpoint pins them", async () => {
    await append(3);
    // make them look like the first, unkeyed chain: alg sha256 with plain hashes
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "alg" = 'sha256'`);
    await recomputeFrom((await rows())[0].seq);
    // as the migration that added the chain's head row would have found them: the head is the newest event
    await db.$executeRawUnsafe(
      `UPDATE "AuditHead" SET "hash" = (SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1)`,
    );
    await append(2, 10);
    const all = await rows();
    expect(all.map((r) => r.alg)).toEqual(["sha256", "sha256", "sha256", "hmac-sha256", "hmac-sha256"]);
    expect(await verify()).toMatchObject({ ok: true, checked: 5 });
    const cp = await writeAuditCheckpoint(db, clock, { file });
    expect(cp.written?.legacyHead).toEqual({ seq: all[2].seq, hash: all[2].hash });
    // re-computing the unkeyed part after an edit no longer passes: the keyed event after it links to the old head
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "data" = '{"i": 42}' WHERE "seq" = ${all[0].seq}`);
    await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "alg" = 'sha256'`);
    await recomputeFrom(all[0].seq);
    expect(await verify()).toMatchObject({ ok: false, problem: "recomputed" });
  });

  test("CRYPTO_SUITE=gm seals new events with HMAC-SM3 and older SHA-256 events keep verifying", async () => {
    await append(2);
    process.env.CRYPTO_SUITE = "gm";
    resetConfig();
    try {
      expect(currentChainKeys().alg).toBe("hmac-sm3");
      await append(2, 10);
      expect((await rows()).map((r) => r.alg)).toEqual(["hmac-sha256", "hmac-sha256", "hmac-sm3", "hmac-sm3"]);
      await writeAuditCheckpoint(db, clock, { file });
      expect(await verify()).toMatchObject({ ok: true, checked: 4, checkpoints: 1 });
    } finally {
      delete process.env.CRYPTO_SUITE;
      resetConfig();
    }
  });

  test("without the key the keyed chain cannot be checked, and another key finds every event wrong", async () => {
    await append(2);
    expect(await verifyAuditChain(db, { keys: null, checkpointFiles: [file] })).toMatchObject({
      ok: false,
      problem: "key-missing",
    });
    const other = chainKeysFrom({ AUDIT_CHAIN_KEY: "b6".repeat(32), CRYPTO_SUITE: "intl", SESSION_SECRET: "x" });
    expect(await verifyAuditChain(db, { keys: other, checkpointFiles: [file] })).toMatchObject({ ok: false });
  });

  test("after an AUDIT_CHAIN_KEY rotation what the previous key sealed keeps verifying, each segment named by its key", async () => {
    const [oldKey, newKey] = ["c1".repeat(32), "d2".repeat(32)];
    const kid = (hex: string) => keyId(Buffer.from(hex, "hex"));
    const before = process.env.AUDIT_CHAIN_KEY;
    const use = (env: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(env))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      resetConfig();
    };
    try {
      use({ AUDIT_CHAIN_KEY: oldKey, AUDIT_CHAIN_KEY_PREVIOUS: undefined });
      await append(3);
      await writeAuditCheckpoint(db, clock, { file });
      use({ AUDIT_CHAIN_KEY: newKey, AUDIT_CHAIN_KEY_PREVIOUS: oldKey });
      await append(2, 10);
      expect((await writeAuditCheckpoint(db, clock, { file })).written).toMatchObject({ v: 3, kid: kid(newKey) });
      const all = await rows();
      expect(all.map((r) => r.keyId)).toEqual([...Array(3).fill(kid(oldKey)), ...Array(2).fill(kid(newKey))]);
      const r = await verify();
      expect(r).toMatchObject({ ok: true, checked: 5, checkpoints: 2 });
      expect(r.segments).toEqual([
        { key: kid(oldKey), current: false, from: all[0].seq, to: all[2].seq, events: 3 },
        { key: kid(newKey), current: true, from: all[3].seq, to: all[4].seq, events: 2 },
      ]);
      expect(r.checkpointKeys).toEqual({ [kid(oldKey)]: 1, [kid(newKey)]: 1 });
      // without the previous key the older segment cannot be checked, and says which key it needs
      use({ AUDIT_CHAIN_KEY_PREVIOUS: undefined });
      expect(await verify()).toMatchObject({
        ok: false,
        problem: "key-missing",
        brokenAt: all[0].seq,
        detail: expect.stringContaining(kid(oldKey)),
      });
      // an event re-labelled with the other key's id does not pass for sealed by it
      use({ AUDIT_CHAIN_KEY_PREVIOUS: oldKey });
      await db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "keyId" = '${kid(newKey)}' WHERE "seq" = ${all[1].seq}`);
      expect(await verify()).toMatchObject({ ok: false, problem: "edited", brokenAt: all[1].seq });
    } finally {
      use({ AUDIT_CHAIN_KEY: before, AUDIT_CHAIN_KEY_PREVIOUS: undefined });
    }
  });

  test("without AUDIT_CHAIN_KEY (development) the key derived from SESSION_SECRET_PREVIOUS still verifies", () => {
    const base = { AUDIT_CHAIN_KEY: undefined, CRYPTO_SUITE: "intl" as const };
    const before = chainKeysFrom({ ...base, SESSION_SECRET: "old-session-secret-0123456789abcdef0123" });
    const during = chainKeysFrom({
      ...base,
      SESSION_SECRET: "new-session-secret-0123456789abcdef0123",
      SESSION_SECRET_PREVIOUS: "old-session-secret-0123456789abcdef0123",
    });
    expect(keyring(during).map((k) => k.kid)).toEqual([during.kid, before.kid]);
    expect(during.kid).not.toBe(before.kid);
  });
});

describe("appending under load", () => {
  test("transactions appending at once never fork a lane: each event links to the one committed before it in its lane", async () => {
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        withTx(db, async (tx) => {
          await appendAudit(tx, event(i), clock);
          await appendAudit(tx, event(100 + i), clock);
        }),
      ),
    );
    const all = await rows();
    expect(all).toHaveLength(48);
    const lanes = new Map<number, typeof all>();
    for (const r of all) lanes.set(r.lane, [...(lanes.get(r.lane) ?? []), r]);
    for (const lane of lanes.values())
      expect(lane.every((r, i) => r.prevHash === (i === 0 ? laneGenesis(r.lane) : lane[i - 1].hash))).toBe(true);
    expect(await verify()).toMatchObject({ ok: true, checked: 48 });
    // each lane's head is where its next append links (the process appends where it committed last: lib/audit)
    await append(1, 500);
    const next = (await rows()).at(-1)!;
    expect(next.prevHash).toBe(lanes.get(next.lane)?.at(-1)?.hash ?? laneGenesis(next.lane));
    expect(await verify()).toMatchObject({ ok: true, checked: 49 });
  });

  // perf3 (#22): PGlite runs one transaction at a time, so only PostgreSQL fills a second lane
  test.skipIf(!onPostgres)(
    "a checkpoint signs every lane's head: removing a lane's newest events is found even when another lane goes on",
    async () => {
      // lane 1 is held between sealing and COMMIT while two events go to the next lane
      const held = await sealedAndWaiting(db, event(0), clock);
      await append(2, 1);
      held.release();
      await held.done;
      const cp = (await writeAuditCheckpoint(db, clock, { file })).written!;
      const all = await rows();
      expect(new Set(all.map((r) => r.lane))).toEqual(new Set([1, 2]));
      expect(cp).toMatchObject({ v: 3, seq: all[2].seq, hash: all[2].hash });
      expect(cp.lanes).toEqual([
        { lane: 1, seq: all[0].seq, hash: all[0].hash },
        { lane: 2, seq: all[2].seq, hash: all[2].hash },
      ]);
      // lane 1 goes on; lane 2's newest event is removed and its head row set back, as an attacker would
      await append(2, 10);
      await db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" = ${all[2].seq}`);
      await db.$executeRawUnsafe(
        `UPDATE "AuditHead" SET "seq" = ${all[1].seq}, "hash" = '${all[1].hash}' WHERE "id" = 2`,
      );
      expect(await verify()).toMatchObject({ ok: false, problem: "truncated", brokenAt: all[2].seq });
      // without the checkpoint the head row alone would not tell (the attacker rewrote it)
      rmSync(file);
      expect(await verify()).toMatchObject({ ok: true });
    },
  );

  test.skipIf(!onPostgres)(
    "after the upgrade to lanes the checkpoint job goes on from the last one-lane (v2) checkpoint",
    async () => {
      await append(3);
      const all = await rows();
      // the line the checkpoint job wrote before lanes: v2, one head, lane 1 implied
      const keys = currentChainKeys();
      const v2 = signCheckpoint(
        {
          v: 2,
          seq: all[2].seq,
          hash: all[2].hash,
          at: clock.now().toISOString(),
          alg: keys.alg,
          legacyHead: null,
          kid: keyring(keys)[0].kid,
        },
        keys,
      );
      writeFileSync(file, JSON.stringify(v2) + "\n");
      const held = await sealedAndWaiting(db, event(50), clock);
      await append(2, 60);
      held.release();
      await held.done;
      const next = await writeAuditCheckpoint(db, clock, { file });
      expect(next.problem).toBeUndefined();
      expect(next.written).toMatchObject({ v: 3 });
      expect(next.written!.lanes!.map((l) => l.lane)).toEqual([1, 2]);
      expect(await verify()).toMatchObject({ ok: true, checked: 6, checkpoints: 2 });
    },
  );
});
