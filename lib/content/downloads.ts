import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The certificate assistant package built by `npm run assistant:pack` (dist/assistant). Only the files listed
 * there are served, by exact name, so no path from the request ever reaches the file system.
 */

const ASSISTANT_MAIN_FILE = "certrenew-assistant.cjs";

export interface PackageFile {
  name: string;
  bytes: number;
}

function packageDir(root = process.cwd()): string {
  return path.join(root, "dist", "assistant");
}

/** The package's files, main file first; null when it has not been built. */
export function assistantPackage(root?: string): PackageFile[] | null {
  const dir = packageDir(root);
  if (!existsSync(path.join(dir, ASSISTANT_MAIN_FILE))) return null;
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .sort((a, b) => (a === ASSISTANT_MAIN_FILE ? -1 : b === ASSISTANT_MAIN_FILE ? 1 : a.localeCompare(b)))
    .map((name) => ({ name, bytes: statSync(path.join(dir, name)).size }));
}

export function readAssistantFile(name: string, root?: string): Buffer | null {
  const file = assistantPackage(root)?.find((f) => f.name === name);
  return file ? readFileSync(path.join(packageDir(root), file.name)) : null;
}
