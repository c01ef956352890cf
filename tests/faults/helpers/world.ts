import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { useTestEnv } from "@/tests/helpers/env";
import { createTestDb } from "@/tests/helpers/db";
import { getConfig } from "@/lib/config";
import { systemClock } from "@/lib/clock";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { ensureDevCa, getCa, resetCa, type Ca } from "@/lib/pki/ca";
import { agent, HolderClient } from "@/lib/dev/sim/http";
import { registerHolders, type SimHolder } from "@/lib/dev/sim/holders";
import { freePort } from "@/lib/dev/sim/portal";
import { serveRoutes, type RunningRouteServer } from "./route-server";
import { sandboxMerchantEnv } from "@/lib/dev/alipay-sandbox/keys";

/**
 * One portal for a fault test file, in this process: a fresh database (PGlite, or PostgreSQL with DATABASE_URL),
 * a development CA, the default fee tiers, the Alipay sandbox, and every route handler served over HTTP on a
 * random port that is also the portal's public origin (so the sandbox gateway and the notify URL are real HTTP).
 */

export interface World {
  db: Db;
  opened: OpenDb & { url?: string };
  ca: Ca;
  base: string;
  dataDir: string;
  server: RunningRouteServer;
  /** exceptions that escaped a route handler (each is a 500) */
  crashes: unknown[];
  holders(n: number, opts?: Parameters<typeof registerHolders>[3]): Promise<SimHolder[]>;
  client(ip?: string): HolderClient;
  close(): Promise<void>;
}

let counter = 0;

export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "certrenew-faults-"));
  const base = `http://127.0.0.1:${port}`;
  useTestEnv({
    DATA_DIR: dataDir,
    CA_DIR: path.join(dataDir, "ca"),
    PUBLIC_ORIGIN: base,
    ALIPAY_SANDBOX: "1",
    ...sandboxMerchantEnv(dataDir),
    TEST_CAPTCHA_BYPASS: "1",
    TRUST_PROXY: "1",
    LOG_LEVEL: "silent",
    ...env,
  });
  delete process.env.ALIPAY_GATEWAY;
  delete process.env.ALIPAY_NOTIFY_URL;
  const opened = await createTestDb();
  setProcessDb(opened);
  const db = opened.prisma as Db;
  await ensureDefaultFeeTiers(db, systemClock);
  await ensureDevCa(getConfig().caDir, { algorithm: "P-256", passphrase: getConfig().CA_KEY_PASSPHRASE! });
  resetCa();
  const ca = await getCa();
  const crashes: unknown[] = [];
  const server = await serveRoutes(port, (e) => crashes.push(e));
  let holderCount = 0;
  return {
    db,
    opened,
    ca,
    base,
    dataDir,
    server,
    crashes,
    async holders(n, opts) {
      const list = await registerHolders(db, ca, n, { prefix: `故障${holderCount}_`, ...opts });
      // distinct indexes across calls keep handler IDs and client addresses distinct
      const shifted = list.map((h, i) => ({ ...h, index: holderCount + i }));
      holderCount += n;
      return shifted;
    },
    client(ip) {
      counter++;
      return new HolderClient({ base, forwardedFor: ip ?? `10.9.${(counter >> 8) & 255}.${counter & 255}` });
    },
    async close() {
      await server.close();
      agent.destroy();
      await opened.close();
      resetCa();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
