import "@/tests/helpers/env";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { openDb } from "@/lib/db/client";
import { applyMigrations } from "@/lib/db/migrate";
import { appendAudit, withTx, writeAuditCheckpoint } from "@/lib/audit";
import { fixedClock } from "@/lib/dev/testing/clock";
import { ROOT } from "@/tests/faults/helpers/route-server";

/** Issue 21 item 4 (PGlite's files are private to the portal) and item 3's offline verifier, `npm run audit:verify`. */

const root = mkdtempSync(path.join(os.tmpdir(), "certrenew-datadir-"));
const dataDir = path.join(root, "data");
const pgliteDir = path.join(dataDir, "pglite");
const checkpoints = path.join(dataDir, "audit-checkpoints.jsonl");
const clock = fixedClock("2026-12-03T03:00:00Z");
afterAll(() => rmSync(root, { recursive: true, force: true }));

function modes(dir: string, out: { path: string; mode: number }[] = []) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    out.push({ path: p, mode: st.mode & 0o777 });
    if (st.isDirectory()) modes(p, out);
  }
  return out;
}

function auditVerify(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "scripts/audit-verify.ts", "--pglite", pgliteDir, ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, DATA_DIR: dataDir, AUDIT_CHECKPOINT_FILE: checkpoints },
      timeout: 120_000,
    },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("DATA_DIR and the embedded database", () => {
  test("DATA_DIR and PGlite's folder are 0700 and no file in it is readable or writable by others", async () => {
    const db = await openDb({ pgliteDir });
    await applyMigrations({ pglite: db.pglite! });
    for (let i = 0; i < 3; i++)
      await withTx(db.prisma, (tx) =>
        appendAudit(tx, { actorType: "system", action: `t.${i}`, targetType: "test", targetId: String(i) }, clock),
      );
    expect((await writeAuditCheckpoint(db.prisma, clock, { file: checkpoints })).written).toBeTruthy();
    await db.close();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(pgliteDir).mode & 0o777).toBe(0o700);
    const all = modes(pgliteDir);
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((f) => (f.mode & 0o077) !== 0).map((f) => f.path)).toEqual([]);
    expect(statSync(checkpoints).mode & 0o777).toBe(0o600);
  });

  test("npm run audit:verify checks the database offline and tells a truncation", { timeout: 240_000 }, async () => {
    const ok = auditVerify();
    expect(ok.out).toContain("audit chain intact: 3 events");
    // which key sealed the events (after a rotation: one line per key)
    expect(ok.out).toMatch(/events \d+–\d+ \(3\): key [0-9a-f]{16} \(AUDIT_CHAIN_KEY\)/);
    expect(ok.status).toBe(0);
    const db = await openDb({ pgliteDir });
    await db.prisma.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "seq" = (SELECT max("seq") FROM "AuditEvent")`);
    await db.close();
    const cut = auditVerify();
    expect(cut.out).toContain("audit chain truncated");
    expect(cut.status).toBe(1);
  });
});
