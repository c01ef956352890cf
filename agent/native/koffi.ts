import { createRequire } from "node:module";
import { extractAsset, isPackaged } from "./sea";

type Koffi = typeof import("koffi");

let koffi: Koffi | null = null;

/** The name of the koffi add-on asset inside the single executable (scripts/assistant-pack.ts puts it there). */
export const KOFFI_ASSET = "koffi.node";

/**
 * koffi, the FFI the PKCS#11 and SKF backends call vendor libraries with. From node_modules under tsx and in
 * tests; inside certrenew-assistant(.exe) the prebuilt add-on for this platform is a SEA asset, written to a
 * per-user folder and loaded with process.dlopen (no compiler, no node_modules on the holder's PC).
 */
export function loadKoffi(): Koffi {
  if (koffi) return koffi;
  if (isPackaged()) {
    const file = extractAsset(KOFFI_ASSET, `koffi-${process.platform}-${process.arch}.node`);
    const mod = { exports: {} as Koffi };
    process.dlopen(mod, file);
    koffi = mod.exports;
  } else {
    // resolved from this file (tsx, vitest: ESM), or from the bundle's own path (plain node running a CJS bundle)
    const from = typeof __filename === "string" ? __filename : import.meta.url;
    koffi = createRequire(from)("koffi") as Koffi;
  }
  return koffi;
}
