import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The certificate assistant's installer built by `npm run assistant:pack` (dist/assistant, described by its
 * manifest.json: version, size, SHA-256). Only the files the manifest lists are served, by exact name, so no
 * path from the request ever reaches the file system.
 */

export interface PackageFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface AssistantDownload {
  version: string;
  /** the Windows installer (the download holders need) */
  installer: PackageFile;
  /** the single executables (Windows, Linux) for administrators */
  files: PackageFile[];
}

/**
 * A file of the built assistant, where `npm start` and the release keep it. Read at run time only: the comment keeps
 * Next's build from copying the installers (~235 MB) into its server output (the release carries its own dist/).
 */
function packageFile(name: string, root = process.cwd()): string {
  return path.join(/* turbopackIgnore: true */ root, "dist", "assistant", name);
}

let cache: { mtimeMs: number; value: AssistantDownload } | null = null;

/** The installer and its facts; null when it has not been built (or is being rebuilt). */
export function assistantPackage(root?: string): AssistantDownload | null {
  const file = packageFile("manifest.json", root);
  if (!existsSync(file)) return null;
  const mtimeMs = statSync(file).mtimeMs;
  if (cache?.mtimeMs !== mtimeMs) {
    const m = JSON.parse(readFileSync(file, "utf8")) as AssistantDownload;
    cache = { mtimeMs, value: { version: m.version, installer: m.installer, files: m.files } };
  }
  const value = cache.value;
  return [value.installer, ...value.files].every((f) => existsSync(packageFile(f.name, root))) ? value : null;
}

export function readAssistantFile(name: string, root?: string): Buffer | null {
  const pkg = assistantPackage(root);
  const file = pkg && [pkg.installer, ...pkg.files].find((f) => f.name === name);
  return file ? readFileSync(packageFile(file.name, root)) : null;
}
