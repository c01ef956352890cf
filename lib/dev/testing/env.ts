import os from "node:os";
import path from "node:path";
import { resetConfig } from "../../config";

const LOADED_AT = Date.now();

/** Demo-like secrets for tests and benches; call before anything reads getConfig(). */
export function useTestEnv(overrides: Record<string, string> = {}): void {
  const defaults: Record<string, string> = {
    NODE_ENV: "test",
    SESSION_SECRET: "test-session-secret-0123456789abcdef0123456789",
    FIELD_ENCRYPTION_KEY: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
    SO_PIN_MASTER_SECRET: "test-so-pin-master-secret-0123456789abcdef",
    CA_KEY_PASSPHRASE: "test-ca-passphrase-0123",
    KMC_MASTER_KEY: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    AUDIT_CHAIN_KEY: "a5".repeat(32),
    // never a checkpoint file a demo left in the working copy's DATA_DIR
    AUDIT_CHECKPOINT_FILE: path.join(os.tmpdir(), `certrenew-test-checkpoints-${process.pid}-${LOADED_AT}.jsonl`),
    DEMO_MODE: "1",
    ALIPAY_SANDBOX: "1",
    JOBS_ENABLED: "0",
  };
  for (const [k, v] of Object.entries({ ...defaults, ...overrides })) process.env[k] = v;
  resetConfig();
}
