import koffi from "koffi";

/**
 * The koffi FFI module (prebuilt addons inside the npm package: no compiler on holders' PCs). One seam for
 * every native library the assistant loads (PKCS#11, SKF): the single-executable build replaces how the addon
 * is found (a SEA asset written to a per-user folder and loaded with process.dlopen) here and nowhere else.
 */
export function loadKoffi(): typeof koffi {
  return koffi;
}
