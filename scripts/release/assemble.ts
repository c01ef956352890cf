import {
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { sourceHash } from "../lib/build-stamp";

/**
 * `npm run build`'s last step: the release folder (default `release/`), built once and copied to every machine.
 *
 *   server.js            the entry (`npm run serve` / `node release/server.js` / systemd): checks the
 *                        configuration, applies migrations (RUN_MIGRATIONS=0 skips), starts FRONT
 *   scripts/*.mjs        the run-time commands, bundled by esbuild (packages stay in node_modules): migrate,
 *                        backup, restore, fields-rekey, staff-create, ca-init, jobs (the jobs-only process)
 *   .next/               Next's standalone server output + its static files
 *   node_modules/        the production dependencies of package-lock.json (no devDependencies), hard-linked
 *   prisma/              schema.prisma and every migration
 *   dist/assistant/      the certificate assistant installer, built once (every instance serves the same bytes)
 *   release.json         build id, source hash, front, when it was made
 */

/**
 * The process front every instance runs, the same as `npm start`'s: N processes (PORTAL_PROCESSES) on PORT serving
 * `.next` in the cwd, OCSP/CRL/CA/downloads answered by lib/runtime/front.ts, the rest by Next.
 */
const FRONT = "scripts/portal-server.ts";

/** The run-time commands (name in release/scripts → source). */
const COMMANDS: Record<string, string> = {
  front: FRONT,
  serve: "scripts/release/serve-main.ts",
  migrate: "scripts/db-migrate.ts",
  backup: "scripts/backup.ts",
  restore: "scripts/restore.ts",
  "fields-rekey": "scripts/fields-rekey.ts",
  "staff-create": "scripts/staff-create.ts",
  "ca-init": "scripts/ca-init.ts",
  jobs: "scripts/jobs.ts",
};

/** A tree copied as hard links (same file system) or bytes; symbolic links stay links. */
function linkTree(from: string, to: string): void {
  const st = lstatSync(from);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), to);
  } else if (st.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) linkTree(path.join(from, name), path.join(to, name));
  } else {
    try {
      linkSync(from, to);
    } catch {
      cpSync(from, to);
    }
  }
}

/** Top-level node_modules entries of the production dependency closure (package-lock.json: not dev). */
export function productionPackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const top = new Set<string>();
  for (const [key, meta] of Object.entries(lock.packages)) {
    if (!key.startsWith("node_modules/") || meta.dev || meta.devOptional) continue;
    // node_modules/a/node_modules/b travels with a; node_modules/@s/a is one entry
    const rest = key.slice("node_modules/".length).split("/node_modules/")[0];
    if (existsSync(path.join(root, "node_modules", rest))) top.add(rest);
  }
  return [...top].sort();
}

export async function assembleRelease(root: string, out: string): Promise<void> {
  const standalone = path.join(root, ".next", "standalone");
  if (!existsSync(path.join(standalone, ".next", "BUILD_ID")))
    throw new Error(`${standalone} is missing: next build with output "standalone" first`);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });

  linkTree(path.join(standalone, ".next"), path.join(tmp, ".next"));
  linkTree(path.join(root, ".next", "static"), path.join(tmp, ".next", "static"));
  if (existsSync(path.join(root, "public"))) linkTree(path.join(root, "public"), path.join(tmp, "public"));
  mkdirSync(path.join(tmp, "node_modules"));
  for (const p of productionPackages(root)) {
    mkdirSync(path.dirname(path.join(tmp, "node_modules", p)), { recursive: true });
    linkTree(path.join(root, "node_modules", p), path.join(tmp, "node_modules", p));
  }
  mkdirSync(path.join(tmp, "prisma"));
  cpSync(path.join(root, "prisma", "schema.prisma"), path.join(tmp, "prisma", "schema.prisma"));
  cpSync(path.join(root, "prisma", "migrations"), path.join(tmp, "prisma", "migrations"), { recursive: true });
  const assistant = path.join(root, "dist", "assistant");
  if (existsSync(path.join(assistant, "manifest.json"))) linkTree(assistant, path.join(tmp, "dist", "assistant"));

  await build({
    entryPoints: Object.fromEntries(
      Object.entries(COMMANDS)
        .filter(([, src]) => existsSync(path.join(root, src)))
        .map(([name, src]) => [name, path.join(root, src)]),
    ),
    outdir: path.join(tmp, "scripts"),
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
    // the bundles run from release/scripts; packages resolve from release/node_modules
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  writeFileSync(
    path.join(tmp, "package.json"),
    JSON.stringify({ name: "certrenew-release", private: true, type: "module" }, null, 2) + "\n",
  );
  writeFileSync(
    path.join(tmp, "server.js"),
    [
      "// CertRenew release entry: `node server.js` (or `npm run serve` in the checkout it was built from).",
      "// Checks the configuration, applies pending migrations (RUN_MIGRATIONS=0 skips), starts the front.",
      'import "./scripts/serve.mjs";',
      "",
    ].join("\n"),
  );
  writeFileSync(
    path.join(tmp, "release.json"),
    JSON.stringify(
      {
        buildId: readFileSync(path.join(standalone, ".next", "BUILD_ID"), "utf8").trim(),
        sourceHash: sourceHash(root),
        front: FRONT,
        assistant: existsSync(path.join(tmp, "dist", "assistant", "manifest.json")),
        madeAt: new Date().toISOString(),
      },
      null,
      2,
    ) + "\n",
  );
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
}
