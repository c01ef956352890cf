import { createRequire } from "node:module";

type Koffi = typeof import("koffi");

let koffi: Koffi | null = null;

/**
 * koffi, the FFI the PKCS#11 and SKF backends call vendor libraries with (prebuilt add-ons in the npm package:
 * no compiler on the holder's PC). The same export as the p11 and pack helpers' file; the coordinator keeps one.
 */
export function loadKoffi(): Koffi {
  koffi ??= createRequire(import.meta.url)("koffi") as Koffi;
  return koffi;
}
