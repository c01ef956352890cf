/**
 * Middleware libraries the assistant looks for at start, per vendor: PKCS#11 (Cryptoki) or SKF (GM/T 0016).
 *
 * This table is DATA, meant to be extended: a new vendor or model is one more row (or one more file name).
 * Names and folders come from the vendors' public installers and documentation as deployed by Chinese CAs;
 * a row whose file is absent costs one existence check. Holders with a library not listed here (or in
 * another folder) get it through the `modules` setting (AssistantConfig.modules), which always wins.
 *
 * Paths may use %SystemRoot%, %ProgramFiles% and %ProgramW6432% (Windows) and ~ (home); they are expanded
 * by discover.ts. The assistant is a 64-bit process: only 64-bit libraries load (System32 on x64 Windows,
 * not SysWOW64 or "Program Files (x86)"); a 32-bit-only vendor library fails its load attempt and is skipped.
 * Two libraries that see the same key (a vendor's PKCS#11 and SKF libraries, or the vendor's and OpenSC) show
 * it once; the earlier row wins, so vendor rows come before OpenSC.
 */

export type ModuleKind = "pkcs11" | "skf";

export interface KnownModule {
  /** becomes the backend name in token ids (`<id>:<serial>`): [a-z0-9]{1,12} */
  id: string;
  vendor: string;
  kind: ModuleKind;
  files: Partial<Record<"win32" | "linux" | "darwin", string[]>>;
  /** file names we could not check against a vendor installer here: confirm with a real key, then drop the mark */
  unverified?: true;
}

const SYS = "%SystemRoot%\\System32";

export const KNOWN_MODULES: KnownModule[] = [
  // Feitian 飞天诚信 ePass2003 / ePass3003 / ePass3000GM (PKCS#11 libraries of their CA-branded middleware)
  {
    id: "feitian",
    vendor: "Feitian",
    kind: "pkcs11",
    files: {
      win32: [
        `${SYS}\\eps2003csp11.dll`,
        `${SYS}\\eps2003csp11v2.dll`,
        `${SYS}\\ShuttleCsp11_3003.dll`,
        `${SYS}\\ShuttleCsp11_3000GM.dll`,
      ],
      linux: ["/usr/lib/libcastle.so.1.0.0", "/usr/local/lib/libcastle.so.1.0.0", "/usr/lib/libeps2003csp11.so"],
      darwin: ["/usr/local/lib/libcastle.1.dylib", "/usr/local/lib/libeps2003csp11.dylib"],
    },
  },
  // Longmai 龙脉 mToken GM3000 / K3: SKF library (also the one many CAs rebrand)
  {
    id: "mtoken",
    vendor: "Longmai mToken",
    kind: "skf",
    files: {
      win32: [`${SYS}\\mtoken_gm3000.dll`, `${SYS}\\mtoken_k3.dll`],
      linux: ["/usr/lib/libgm3000.1.0.so", "/usr/local/lib/libgm3000.1.0.so", "/opt/mToken-GM3000/libgm3000.1.0.so"],
      darwin: ["/usr/local/lib/libgm3000.1.0.dylib"],
    },
  },
  // Longmai mToken GM3000 PKCS#11 library
  {
    id: "mtokenp11",
    unverified: true,
    vendor: "Longmai mToken",
    kind: "pkcs11",
    files: {
      win32: [`${SYS}\\mtoken_gm3000_p11.dll`],
      linux: ["/usr/lib/libgm3000_pkcs11.so", "/opt/mToken-GM3000/libgm3000_pkcs11.so"],
    },
  },
  // Haitai 海泰方圆 HaiKey: SKF
  {
    id: "haitai",
    unverified: true,
    vendor: "Haitai",
    kind: "skf",
    files: {
      win32: [`${SYS}\\HaiKeySKF.dll`, `${SYS}\\HTSKF.dll`],
      linux: ["/usr/lib/libhtskf.so", "/opt/haitai/lib/libhtskf.so"],
    },
  },
  // Watchdata 握奇 (WatchKey; ProxKey abroad): PKCS#11 and SKF
  {
    id: "watchdata",
    vendor: "Watchdata",
    kind: "pkcs11",
    files: {
      win32: [`${SYS}\\SignatureP11.dll`, `${SYS}\\WDPKCS.dll`],
      linux: ["/usr/lib/libwdpkcs.so", "/usr/lib/WatchData/ProxKey/lib/libwdpkcs_SignatureP11.so"],
    },
  },
  {
    id: "watchdataskf",
    unverified: true,
    vendor: "Watchdata",
    kind: "skf",
    files: { win32: [`${SYS}\\WDSKF.dll`], linux: ["/usr/lib/libwdskf.so"] },
  },
  // JIT 吉大正元: SKF
  {
    id: "jit",
    unverified: true,
    vendor: "JIT",
    kind: "skf",
    files: { win32: [`${SYS}\\JITSKF.dll`], linux: ["/usr/lib/libjitskf.so"] },
  },
  // SafeNet/Thales eToken (common with foreign CAs)
  {
    id: "etoken",
    vendor: "SafeNet",
    kind: "pkcs11",
    files: {
      win32: [`${SYS}\\eTPKCS11.dll`],
      linux: ["/usr/lib/libeTPkcs11.so"],
      darwin: ["/usr/local/lib/libeTPkcs11.dylib"],
    },
  },
  // OpenSC: generic driver for many PIV/PKCS#15 cards and tokens; listed last, vendor libraries win duplicates
  {
    id: "opensc",
    vendor: "OpenSC",
    kind: "pkcs11",
    files: {
      win32: ["%ProgramW6432%\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll"],
      linux: [
        "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
        "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
        "/usr/lib64/opensc-pkcs11.so",
        "/usr/lib/opensc-pkcs11.so",
      ],
      darwin: ["/Library/OpenSC/lib/opensc-pkcs11.so"],
    },
  },
  // SoftHSM2: a software token for development and tests (its tokens live in SOFTHSM2_CONF's folder)
  {
    id: "softhsm",
    vendor: "SoftHSM",
    kind: "pkcs11",
    files: {
      win32: ["C:\\SoftHSM2\\lib\\softhsm2-x64.dll"],
      linux: ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"],
      darwin: ["/usr/local/lib/softhsm/libsofthsm2.so", "/opt/homebrew/lib/softhsm/libsofthsm2.so"],
    },
  },
];
