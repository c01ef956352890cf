import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { IsolatedBackend } from "./isolated";
import { KNOWN_MODULES, type KnownModule, type ModuleKind } from "./known";

/**
 * Which middleware libraries this computer has: the libraries of the `modules` setting first (always used),
 * then every file of the known table (known.ts) that exists, each library once (by its real path). At start
 * each is loaded once in its own process (probeModules); a found library that cannot even be loaded (wrong
 * architecture, missing dependencies) is set aside quietly, a configured one keeps reporting its error.
 */

export interface ModuleSetting {
  kind: ModuleKind;
  path: string;
}

export interface FoundModule {
  /** backend name, the prefix of token ids: [a-z0-9]{1,16} */
  name: string;
  vendor: string;
  kind: ModuleKind;
  path: string;
  configured: boolean;
}

export interface DiscoverOptions {
  /** the `modules` setting */
  configured?: ModuleSetting[];
  /** look for the known libraries too (default true) */
  discover?: boolean;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  exists?: (file: string) => boolean;
  known?: KnownModule[];
}

/** %VAR% (Windows, case-insensitive) and a leading ~ expanded; undefined when a variable is not set. */
export function expandPath(
  file: string,
  env: Record<string, string | undefined>,
  home = os.homedir(),
): string | undefined {
  let missing = false;
  const expanded = file
    .replace(/%([^%]+)%/g, (_, name: string) => {
      const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
      const value = key ? env[key] : undefined;
      if (!value) missing = true;
      return value ?? "";
    })
    .replace(/^~(?=[/\\])/, home);
  return missing ? undefined : expanded;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function identity(file: string, platform: NodeJS.Platform): string {
  let real = file;
  try {
    real = fs.realpathSync(file);
  } catch {
    // not there (yet): compare by the path as written
  }
  return platform === "win32" ? real.toLowerCase() : real;
}

export function findModules(opts: DiscoverOptions = {}): FoundModule[] {
  const platform = opts.platform ?? process.platform;
  const env = opts.env ?? process.env;
  const exists = opts.exists ?? isFile;
  const known = opts.known ?? KNOWN_MODULES;
  const rows = known.map((row) => ({
    row,
    files: (row.files[platform as "win32" | "linux" | "darwin"] ?? [])
      .map((f) => expandPath(f, env))
      .filter((f): f is string => f !== undefined),
  }));
  const found: FoundModule[] = [];
  const seen = new Set<string>();
  const names = new Set<string>();
  const add = (m: Omit<FoundModule, "name"> & { base: string }) => {
    const id = identity(m.path, platform);
    if (seen.has(id)) return;
    seen.add(id);
    let name = m.base;
    for (let i = 2; names.has(name); i++) name = `${m.base}${i}`;
    names.add(name);
    found.push({ name, vendor: m.vendor, kind: m.kind, path: m.path, configured: m.configured });
  };
  for (const setting of opts.configured ?? []) {
    const id = identity(setting.path, platform);
    const row = rows.find((r) => r.row.kind === setting.kind && r.files.some((f) => identity(f, platform) === id))?.row;
    const hash = createHash("sha256").update(id).digest("hex").slice(0, 6);
    add({
      base: row?.id ?? `${setting.kind === "pkcs11" ? "p11" : "skf"}${hash}`,
      vendor: row?.vendor ?? path.basename(setting.path),
      kind: setting.kind,
      path: setting.path,
      configured: true,
    });
  }
  if (opts.discover !== false) {
    for (const { row, files } of rows) {
      for (const file of files.filter(exists))
        add({ base: row.id, vendor: row.vendor, kind: row.kind, path: file, configured: false });
    }
  }
  return found;
}

type ProbeLog = {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
};

/**
 * The load attempt, in isolation: each library's process loads it and lists its slots once. Runs after the
 * assistant answers (start-up stays fast); a found library that does not load is retired (lists no keys).
 */
export async function probeModules(
  hosted: { backend: IsolatedBackend; module: FoundModule }[],
  log: ProbeLog,
  timeout = 20_000,
): Promise<void> {
  await Promise.all(
    hosted.map(async ({ backend, module }) => {
      try {
        const tokens = await backend.probe(timeout);
        log.info(
          { library: module.path, vendor: module.vendor, name: module.name, tokens },
          "middleware library loaded",
        );
      } catch (e) {
        const reason = String((e as { details?: { reason?: unknown } }).details?.reason ?? e);
        const unusable = reason.startsWith("not loaded");
        if (unusable && !module.configured) await backend.retire(reason);
        log.warn(
          { library: module.path, vendor: module.vendor, reason, retired: unusable && !module.configured },
          "middleware library failed its load attempt",
        );
      }
    }),
  );
}
