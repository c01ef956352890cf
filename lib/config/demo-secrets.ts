import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const GENERATED = [
  "SESSION_SECRET",
  "FIELD_ENCRYPTION_KEY",
  "SO_PIN_MASTER_SECRET",
  "CA_KEY_PASSPHRASE",
  "KMC_MASTER_KEY",
  "AUDIT_CHAIN_KEY",
] as const;

/** Random bytes per secret: 32, except the KMC master key, an SM4 key (128 bits). */
const BYTES: Partial<Record<(typeof GENERATED)[number], number>> = { KMC_MASTER_KEY: 16 };

/**
 * Demo and development secrets: generated once into DATA_DIR/secrets.json (mode 0600, never committed)
 * and put into the environment unless the environment already sets them.
 */
export function loadDemoSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(dataDir, "secrets.json");
  let stored: Record<string, string> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  let changed = false;
  for (const name of GENERATED) {
    if (!stored[name]) {
      stored[name] = randomBytes(BYTES[name] ?? 32).toString("hex");
      changed = true;
    }
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 });
  }
  for (const name of GENERATED) env[name] ??= stored[name];
}
