import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * The assistant's own settings. It runs on holders' computers, so it reads only ASSISTANT_* (and DATA_DIR
 * for the demo's virtual tokens), never the portal's secrets.
 *
 * Holders set nothing: the installer writes a settings file with the portal's origin stamped at build time
 * (Windows `%APPDATA%\CertRenew\assistant.json`, elsewhere `~/.config/certrenew/assistant.json`; the installed
 * program also reads `portal.json` next to itself, rewritten by every install). Environment variables stay for
 * development and tests and win over the files.
 */

const flag = z.enum(["1", "0", "true", "false", ""]).transform((v) => v === "1" || v === "true");
const origin = z
  .string()
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, "origins as scheme://host[:port], comma-separated, no path");

const Env = z.object({
  NODE_ENV: z.string().optional(),
  ASSISTANT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ASSISTANT_ORIGINS: z.string().optional(),
  ASSISTANT_PKCS11_MODULE: z.string().min(1).optional(),
  // development: extra middleware libraries, `pkcs11=/path/lib.so;skf=/path/other.so`
  ASSISTANT_MODULES: z.string().optional(),
  // development/tests: 0 turns off looking for the known vendor libraries (agent/middleware/known.ts)
  ASSISTANT_DISCOVER_MODULES: flag.optional(),
  ASSISTANT_VIRTUAL_TOKENS: flag.optional(),
  ASSISTANT_TEST_HOOKS: flag.default(false),
  ASSISTANT_SETTINGS: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).optional(),
});

/** A PKCS#11 or SKF library the holder (or an administrator) names, in addition to the ones found by themselves. */
const ModuleSetting = z.object({ kind: z.enum(["pkcs11", "skf"]), path: z.string().min(1) });
export type ModuleSetting = z.infer<typeof ModuleSetting>;

/** The settings file (JSON). Unknown fields are ignored so that an older assistant reads a newer file. */
const SettingsFile = z.object({
  origins: z.array(z.string()).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  modules: z.array(ModuleSetting).optional(),
  virtualTokens: z.boolean().optional(),
});
export type AssistantSettings = z.infer<typeof SettingsFile>;

export interface AssistantConfig {
  port: number;
  origins: string[];
  pkcs11Module: string | null;
  /** middleware libraries to use besides (and before) the ones found by agent/middleware/discover.ts: the
   * development variable's, then the settings files' */
  modules: ModuleSetting[];
  /** look for the known vendor libraries (default true) */
  discoverModules: boolean;
  virtualDir: string | null;
  testHooks: boolean;
  /** the settings files that were read, for the start-up log line */
  settingsFiles: string[];
}

const DEFAULT_PORT = 17443;
const DEFAULT_ORIGIN = "http://localhost:3000";

/** Where the per-user settings live on this system: `%APPDATA%\CertRenew` or `~/.config/certrenew`. */
export function settingsDir(env: Record<string, string | undefined>, platform = process.platform): string {
  if (platform === "win32") return path.join(env.APPDATA ?? path.join(os.homedir(), "AppData", "Roaming"), "CertRenew");
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config"), "certrenew");
}

function readSettings(file: string): AssistantSettings | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch {
    throw new Error(`${file} is invalid: not JSON`);
  }
  const parsed = SettingsFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file} is invalid: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

function checkOrigins(list: string[], source: string): string[] {
  const origins = list.map((o) => o.trim().replace(/\/$/, "")).filter(Boolean);
  for (const o of origins) {
    const checked = origin.safeParse(o);
    if (!checked.success) throw new Error(`${source} is invalid: ${checked.error.issues[0].message} (got "${o}")`);
  }
  return origins;
}

export interface ConfigSources {
  /** the folder of the installed program (its `portal.json`); null when not installed (tsx, tests) */
  programDir?: string | null;
  platform?: NodeJS.Platform;
}

export function assistantConfig(env: Record<string, string | undefined>, sources: ConfigSources = {}): AssistantConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${String(issue.path[0])} is invalid: ${issue.message}`);
  }
  const c = parsed.data;
  const files = [
    ...(sources.programDir ? [path.join(sources.programDir, "portal.json")] : []),
    c.ASSISTANT_SETTINGS ?? path.join(settingsDir(env, sources.platform), "assistant.json"),
  ];
  const read = files.map((f) => ({ file: f, settings: readSettings(f) })).filter((r) => r.settings !== null);
  const settings = read.map((r) => r.settings!);
  const fileOrigins = settings.flatMap((s, i) => checkOrigins(s.origins ?? [], read[i].file));
  const origins = c.ASSISTANT_ORIGINS
    ? checkOrigins(c.ASSISTANT_ORIGINS.split(","), "ASSISTANT_ORIGINS")
    : fileOrigins.length > 0
      ? [...new Set(fileOrigins)]
      : [DEFAULT_ORIGIN];
  if (c.ASSISTANT_TEST_HOOKS && c.NODE_ENV === "production")
    throw new Error("ASSISTANT_TEST_HOOKS is invalid: not allowed with NODE_ENV=production");
  const envModules = (c.ASSISTANT_MODULES ?? "")
    .split(";")
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => {
      const at = m.indexOf("=");
      const kind = m.slice(0, at);
      if (at < 1 || (kind !== "pkcs11" && kind !== "skf") || !m.slice(at + 1))
        throw new Error(`ASSISTANT_MODULES is invalid: "${m}" is not pkcs11=<path> or skf=<path>`);
      return { kind: kind as "pkcs11" | "skf", path: m.slice(at + 1) };
    });
  const last = <K extends keyof AssistantSettings>(k: K) => settings.findLast((s) => s[k] !== undefined)?.[k];
  // virtual (demo) tokens: on under tsx unless a PKCS#11 module is set; the installed program serves holders'
  // real keys and has them only when a setting or variable asks
  const virtual =
    c.ASSISTANT_VIRTUAL_TOKENS ?? last("virtualTokens") ?? (!c.ASSISTANT_PKCS11_MODULE && !sources.programDir);
  // the installed program keeps its virtual (demo) tokens per user; tsx and tests use DATA_DIR as before
  const virtualDir = c.DATA_DIR
    ? path.resolve(c.DATA_DIR, "tokens")
    : sources.programDir
      ? path.join(settingsDir(env, sources.platform), "tokens")
      : path.resolve(".data", "tokens");
  return {
    port: c.ASSISTANT_PORT ?? last("port") ?? DEFAULT_PORT,
    origins,
    pkcs11Module: c.ASSISTANT_PKCS11_MODULE ?? null,
    modules: [...envModules, ...settings.flatMap((s) => s.modules ?? [])],
    discoverModules: c.ASSISTANT_DISCOVER_MODULES ?? true,
    virtualDir: virtual ? virtualDir : null,
    testHooks: c.ASSISTANT_TEST_HOOKS,
    settingsFiles: read.map((r) => r.file),
  };
}
