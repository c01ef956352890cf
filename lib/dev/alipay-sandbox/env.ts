import { getConfig, type Config } from "../../config";
import { getDb, type Db } from "../../db";
import { systemClock, type Clock } from "../../clock";
import { DomainError } from "../../errors";
import { loadSandboxIdentity, type SandboxIdentity } from "./keys";

/** What the emulator runs with: the routes use the process defaults, tests pass their own database and clock. */
export interface SandboxEnv {
  db: Db;
  clock: Clock;
  config: Config;
  identity: SandboxIdentity;
}

export async function sandboxEnv(over: Partial<Omit<SandboxEnv, "identity">> = {}): Promise<SandboxEnv> {
  const config = over.config ?? getConfig();
  if (!config.ALIPAY_SANDBOX) throw new DomainError("SANDBOX_DISABLED");
  return {
    db: over.db ?? (await getDb()),
    clock: over.clock ?? systemClock,
    config,
    identity: loadSandboxIdentity(config.dataDir),
  };
}
