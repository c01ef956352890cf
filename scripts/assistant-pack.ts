import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ASSISTANT_VERSION } from "../agent/server";

/**
 * `npm run assistant:pack`: the download-centre package of the certificate assistant, one CommonJS file
 * (Node 20+) plus an install guide. koffi (FFI for the USB keys' middleware, prebuilt addons for every
 * platform in its npm package, nothing compiled) stays outside the bundle: `npm install --omit=dev` next to
 * the file fetches it. The single-executable build replaces this (agent/native/koffi.ts is the seam).
 */

const root = path.resolve(import.meta.dirname, "..");
const outDir = path.join(root, "dist", "assistant");
const outfile = path.join(outDir, "certrenew-assistant.cjs");

fs.rmSync(outDir, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(root, "agent", "main.ts")],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile,
  external: ["koffi"],
  tsconfig: path.join(root, "tsconfig.json"),
  banner: { js: `#!/usr/bin/env node\n// CertRenew certificate assistant ${ASSISTANT_VERSION}` },
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
});
const install = fs
  .readFileSync(path.join(root, "agent", "INSTALL.md"), "utf8")
  .replaceAll("{{VERSION}}", ASSISTANT_VERSION);
fs.writeFileSync(path.join(outDir, "INSTALL.md"), install);
fs.writeFileSync(
  path.join(outDir, "package.json"),
  `${JSON.stringify({ name: "certrenew-assistant", version: ASSISTANT_VERSION, private: true, main: "certrenew-assistant.cjs", dependencies: { koffi: "2.12.4" } }, null, 2)}\n`,
);
const bytes = fs.statSync(outfile).size;
console.log(
  `wrote ${path.relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} inputs), INSTALL.md, package.json`,
);
process.exit(0);
