import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

/**
 * The assistant as a Node single executable application (scripts/assistant-pack.ts): whether we run as one,
 * and its assets (native add-ons) written to a per-user folder so that process.dlopen can load them.
 */

interface SeaApi {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
}

let sea: SeaApi | null | undefined;

function seaApi(): SeaApi | null {
  if (sea === undefined) {
    try {
      // node:sea exists from Node 20.12; a bundle or tsx may run on an older or newer Node
      sea = createRequire(path.join(process.cwd(), "noop.js"))("node:sea") as SeaApi;
    } catch {
      sea = null;
    }
  }
  return sea;
}

/** True inside certrenew-assistant(.exe); false under tsx, vitest or plain node. */
export function isPackaged(): boolean {
  return seaApi()?.isSea() ?? false;
}

/** The per-user folder for what the program writes: logs, native add-ons, the demo's virtual tokens. */
export function userDataDir(env: Record<string, string | undefined> = process.env): string {
  if (process.platform === "win32")
    return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), "AppData", "Local"), "CertRenew");
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "certrenew");
}

/**
 * Writes the SEA asset `key` to `<userDataDir>/native/<hash>-<name>` once (same bytes, same file: several
 * starts and versions can share the folder) and returns the file's path.
 */
export function extractAsset(key: string, name: string): string {
  const api = seaApi();
  if (!api?.isSea()) throw new Error(`asset ${key}: not running as a single executable`);
  const bytes = Buffer.from(api.getAsset(key));
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const dir = path.join(userDataDir(), "native");
  const file = path.join(dir, `${hash}-${name}`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o755 });
    try {
      renameSync(tmp, file);
    } catch (e) {
      // another process (the module hosts start together) got there first and may have loaded it already:
      // Windows refuses to replace a loaded DLL, and the bytes are the same
      rmSync(tmp, { force: true });
      if (!existsSync(file)) throw e;
    }
  }
  return file;
}
