import { readFile, readdir, mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MIGRATIONS_DIR, PRISMA_DIR } from "./paths";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm/schema_engine_bg";

/**
 * Offline migrations through Prisma's wasm schema engine: no engine binary is downloaded.
 * Works on PGlite (embedded) and PostgreSQL (DATABASE_URL) with the standard `_prisma_migrations` table.
 */

const SCHEMA_FILE = path.join(PRISMA_DIR, "schema.prisma");
const NO_FILTERS = { externalTables: [], externalEnums: [] };

type WasmRuntime = typeof import("@prisma/schema-engine-wasm/schema_engine_bg");
let runtime: Promise<WasmRuntime> | undefined;

function loadRuntime(): Promise<WasmRuntime> {
  runtime ??= (async () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const dir = path.dirname(entry);
    const js = (await import(pathToFileURL(entry).href)) as WasmRuntime & { __wbg_set_wasm(w: unknown): void };
    const bytes = await readFile(path.join(dir, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, {
      "./schema_engine_bg.js": js as unknown as WebAssembly.ModuleImports,
    });
    js.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return js;
  })();
  return runtime;
}

/** pglite-prisma-adapter 0.7.2 does not await `exec` in executeScript, so a failing migration looked applied. */
function awaitScripts(adapter: SqlDriverAdapter, client: PGlite): SqlDriverAdapter {
  adapter.executeScript = async (script: string) => {
    await client.exec(script);
  };
  return adapter;
}

class PGliteMigrationFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName = "pglite-migrate";
  constructor(private readonly client: PGlite) {}
  async connect() {
    return awaitScripts(await new PrismaPGlite(this.client).connect(), this.client);
  }
  async connectToShadowDb() {
    const shadow = new PGlite();
    const adapter = awaitScripts(await new PrismaPGlite(shadow).connect(), shadow);
    adapter.dispose = () => shadow.close();
    return adapter;
  }
}

export type MigrationTarget = { url: string } | { pglite: PGlite };

function factoryFor(target: MigrationTarget): SqlMigrationAwareDriverAdapterFactory {
  return "url" in target ? new PrismaPg({ connectionString: target.url }) : new PGliteMigrationFactory(target.pglite);
}

/**
 * The engine never disposes the adapters it connects, and freeing it does not either: the pool's idle connection
 * kept the session's migration advisory lock for pg's 10 s idle timeout, so the next migrate (another instance
 * starting, or `db:migrate` right after `start`) waited for it and could hit the engine's own 10 s lock timeout.
 */
class DisposingFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = "postgres" as const;
  readonly adapterName: string;
  private readonly opened: SqlDriverAdapter[] = [];
  constructor(private readonly inner: SqlMigrationAwareDriverAdapterFactory) {
    this.adapterName = inner.adapterName;
  }
  /** The engine does dispose a shadow database it is done with: each adapter is disposed once, whoever asks first. */
  private keep(adapter: SqlDriverAdapter): SqlDriverAdapter {
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => (disposed ??= dispose());
    this.opened.push(adapter);
    return adapter;
  }
  async connect() {
    return this.keep(await this.inner.connect());
  }
  async connectToShadowDb() {
    return this.keep(await this.inner.connectToShadowDb());
  }
  async disposeAll(): Promise<void> {
    // the shadow database (opened last) is dropped through the main connection, so dispose newest first
    for (const adapter of this.opened.splice(0).reverse()) await adapter.dispose();
  }
}

async function withEngine<T>(target: MigrationTarget, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const js = await loadRuntime();
  const schema = await readFile(SCHEMA_FILE, "utf8");
  const logs: string[] = [];
  const factory = new DisposingFactory(factoryFor(target));
  const engine = await js.SchemaEngine.new(
    { datamodels: [["schema.prisma", schema]] },
    (line: string) => logs.push(line),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await factory.disposeAll();
  }
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const names = existsSync(dir)
    ? (await readdir(dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok" as const, value: await readFile(path.join(dir, name, "migration.sql"), "utf8") },
      },
    })),
  );
  const lockPath = path.join(dir, "migration_lock.toml");
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: existsSync(lockPath) ? await readFile(lockPath, "utf8") : null },
    shadowDbInitScript: "",
    migrationDirectories,
  };
}

/** Applies every committed migration not yet applied; returns the names it applied. */
export async function applyMigrations(target: MigrationTarget, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrationsList = await readMigrations(dir);
  return withEngine(target, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
    return out.appliedMigrationNames;
  });
}

/** SQL that would bring the committed migrations to `schema.prisma`; empty when they agree. */
export async function diffMigrationsToSchema(dir = MIGRATIONS_DIR): Promise<string> {
  const pglite = new PGlite();
  try {
    const migrationsList = await readMigrations(dir);
    const schema = await readFile(SCHEMA_FILE, "utf8");
    return await withEngine({ pglite }, async (engine) => {
      const result = await engine.diff({
        from: { tag: "migrations", ...migrationsList },
        to: { tag: "schemaDatamodel", files: [{ path: SCHEMA_FILE, content: schema }] },
        script: true,
        exitCode: null,
        filters: NO_FILTERS,
      });
      return (result.stdout ?? "").replace(/^-- This is an empty migration\.\s*$/m, "").trim();
    });
  } finally {
    await pglite.close();
  }
}

/** Writes prisma/migrations/<timestamp>_<name>/migration.sql for the schema changes not yet in a migration. */
export async function createMigration(name: string): Promise<string | null> {
  const sql = await diffMigrationsToSchema();
  if (!sql) return null;
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dirName = `${stamp}_${name.replace(/[^a-z0-9_]+/gi, "_").toLowerCase()}`;
  await mkdir(path.join(MIGRATIONS_DIR, dirName), { recursive: true });
  await writeFile(path.join(MIGRATIONS_DIR, dirName, "migration.sql"), sql + "\n");
  const lock = path.join(MIGRATIONS_DIR, "migration_lock.toml");
  if (!existsSync(lock)) await writeFile(lock, 'provider = "postgresql"\n');
  return dirName;
}
