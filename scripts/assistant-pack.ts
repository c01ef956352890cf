import path from "node:path";
import { parseConfig } from "../lib/config";
import { loadDemoSecrets } from "../lib/config/demo-secrets";
import { ensureDemoCodeSigning } from "../lib/dev/demo/code-signing";
import { packAssistant, type SigningKey } from "./lib/assistant-pack";

/**
 * `npm run assistant:pack`: dist/assistant/CertRenewAssistantSetup.exe (+ the two single executables and
 * manifest.json), stamped with this portal's origin (PUBLIC_ORIGIN, or http://localhost:PORT) and signed with
 * ASSISTANT_SIGN_CERT / ASSISTANT_SIGN_KEY (PEM files; ASSISTANT_SIGN_CA: the root to verify against), or in
 * demo mode with a code-signing certificate from the development CA. Cached: nothing is rebuilt when nothing
 * changed (--force rebuilds). scripts/lib/assistant-pack.ts does the work.
 */

/** What the pack needs from the environment, resolved like `npm start` does; throws with a sentence when it cannot. */
export async function packSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ origin: string; sign: SigningKey; demo: boolean }> {
  const e = { ...env };
  for (const [k, v] of Object.entries(e)) if (v === "") delete e[k];
  e.PORT ||= "3000";
  e.DATA_DIR ||= ".data";
  if (!e.DATABASE_URL && e.DEMO_MODE === undefined) e.DEMO_MODE = "1";
  const demo = e.DEMO_MODE === "1" || e.DEMO_MODE === "true";
  if (demo) loadDemoSecrets(path.resolve(e.DATA_DIR), e);
  const config = parseConfig(e);
  if (e.ASSISTANT_SIGN_CERT && e.ASSISTANT_SIGN_KEY)
    return {
      origin: config.publicOrigin,
      sign: { certPem: e.ASSISTANT_SIGN_CERT, keyPem: e.ASSISTANT_SIGN_KEY, rootPem: e.ASSISTANT_SIGN_CA },
      demo,
    };
  if (!demo)
    throw new Error("ASSISTANT_SIGN_CERT and ASSISTANT_SIGN_KEY are missing: the installer must be signed (PEM files)");
  return { origin: config.publicOrigin, sign: await ensureDemoCodeSigning(config), demo };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { origin, sign } = await packSettings();
    const root = path.resolve(import.meta.dirname, "..");
    if (process.argv.includes("--force")) {
      const { rmSync } = await import("node:fs");
      rmSync(path.join(root, "dist", "assistant"), { recursive: true, force: true });
    }
    const { manifest, built } = await packAssistant({ root, origin, sign });
    console.log(
      `${built ? "built" : "up to date:"} dist/assistant/${manifest.installer.name} ${manifest.version} for ${manifest.origin}, ` +
        `${(manifest.installer.bytes / 1048576).toFixed(1)} MB, sha256 ${manifest.installer.sha256}`,
    );
    process.exit(0);
  } catch (e) {
    console.error(`assistant:pack failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
