import { createRequire } from "node:module";
import type * as Koffi from "koffi";

/**
 * SM2 signatures through OpenSSL 3's libcrypto, called with koffi (prebuilt FFI, no compiler). Node's own
 * `crypto.sign` cannot do SM2 (it computes ECDSA on the SM2 curve); OpenSSL's EVP API can:
 * EVP_PKEY_CTX_set1_id + EVP_DigestSign/EVP_DigestVerify with SM3 over the data (Z computed by OpenSSL), and
 * EVP_PKEY_sign/EVP_PKEY_verify over a ready digest e = SM3(Z ‖ M).
 *
 * Which libcrypto: the one inside this Node process first. Node links OpenSSL 3 statically and exports its
 * symbols (for add-ons), and the dynamic linker binds libcrypto.so.3's own internal calls to those exported
 * symbols (`LD_DEBUG=bindings`: 3,240 of its references go to `node`), so a second, system libcrypto loaded
 * into Node runs as a mix of two OpenSSL builds. Taking the process's copy gives one consistent OpenSSL
 * (the one `process.versions.openssl` names). Only a Node that exports no OpenSSL (a shared-library build
 * links the system one, whose symbols are then found in the process too) falls through to `libcrypto.so.3`.
 *
 * Used by lib/crypto/sm2.ts only (SM2_IMPL=js|native|auto there). Everything here is synchronous; one scratch
 * buffer per loaded instance (per thread) carries DER into d2i_*.
 */

export interface Sm2NativeKey {
  /** EVP_PKEY_free now (otherwise when the key object is garbage-collected); safe to call twice */
  free(): void;
}

export interface Sm2Native {
  /** e.g. "OpenSSL 3.0.19 27 Jan 2026 (this Node process)" */
  readonly library: string;
  /** an SM2 private key from PKCS#8 DER (EVP_PKEY_is_a "SM2" checked) */
  privateKey(pkcs8: Uint8Array): Sm2NativeKey;
  /** an SM2 public key from SubjectPublicKeyInfo DER; undefined when OpenSSL refuses it or it is not SM2 */
  publicKey(spki: Uint8Array): Sm2NativeKey | undefined;
  /**
   * an SM2 public key from its point (04‖x‖y or compressed) through EVP_PKEY_fromdata, which checks the point is on
   * the curve; undefined when it is not. About 5× cheaper than d2i_PUBKEY (OpenSSL 3.0's decoder chain).
   */
  publicKeyFromPoint(point: Uint8Array): Sm2NativeKey | undefined;
  /** DER SM2 signature of data (SM3, Z with `id`) */
  sign(key: Sm2NativeKey, data: Uint8Array, id: string): Buffer;
  /** DER SM2 signature of the digest e = SM3(Z ‖ M) */
  signDigest(key: Sm2NativeKey, e: Uint8Array): Buffer;
  verify(key: Sm2NativeKey, data: Uint8Array, signature: Uint8Array, id: string): boolean;
  verifyDigest(key: Sm2NativeKey, e: Uint8Array, signature: Uint8Array): boolean;
}

type Ptr = unknown;

const SIGNATURES = {
  OpenSSL_version_num: "unsigned long OpenSSL_version_num()",
  OpenSSL_version: "const char *OpenSSL_version(int)",
  ERR_clear_error: "void ERR_clear_error()",
  d2i_PUBKEY: "void *d2i_PUBKEY(void *a, void *pp, long length)",
  d2i_AutoPrivateKey: "void *d2i_AutoPrivateKey(void *a, void *pp, long length)",
  EVP_PKEY_is_a: "int EVP_PKEY_is_a(void *pkey, const char *name)",
  EVP_PKEY_CTX_new_from_name: "void *EVP_PKEY_CTX_new_from_name(void *libctx, const char *name, const char *props)",
  EVP_PKEY_fromdata_init: "int EVP_PKEY_fromdata_init(void *pctx)",
  EVP_PKEY_fromdata: "int EVP_PKEY_fromdata(void *pctx, _Out_ void **pkey, int selection, void *params)",
  OSSL_PARAM_BLD_new: "void *OSSL_PARAM_BLD_new()",
  OSSL_PARAM_BLD_push_utf8_string: "int OSSL_PARAM_BLD_push_utf8_string(void *bld, void *key, void *s, size_t len)",
  OSSL_PARAM_BLD_push_octet_string: "int OSSL_PARAM_BLD_push_octet_string(void *bld, void *key, void *buf, size_t len)",
  OSSL_PARAM_BLD_to_param: "void *OSSL_PARAM_BLD_to_param(void *bld)",
  OSSL_PARAM_BLD_free: "void OSSL_PARAM_BLD_free(void *bld)",
  OSSL_PARAM_free: "void OSSL_PARAM_free(void *params)",
  EVP_PKEY_free: "void EVP_PKEY_free(void *pkey)",
  EVP_MD_fetch: "void *EVP_MD_fetch(void *libctx, const char *name, const char *props)",
  EVP_MD_CTX_new: "void *EVP_MD_CTX_new()",
  EVP_MD_CTX_free: "void EVP_MD_CTX_free(void *ctx)",
  EVP_MD_CTX_set_pkey_ctx: "void EVP_MD_CTX_set_pkey_ctx(void *ctx, void *pctx)",
  EVP_PKEY_CTX_new: "void *EVP_PKEY_CTX_new(void *pkey, void *engine)",
  EVP_PKEY_CTX_free: "void EVP_PKEY_CTX_free(void *pctx)",
  EVP_PKEY_CTX_set1_id: "int EVP_PKEY_CTX_set1_id(void *pctx, const uint8_t *id, int len)",
  EVP_DigestSignInit: "int EVP_DigestSignInit(void *ctx, void *pctx, void *md, void *engine, void *pkey)",
  EVP_DigestSign:
    "int EVP_DigestSign(void *ctx, _Out_ uint8_t *sig, _Inout_ size_t *siglen, const uint8_t *tbs, size_t tbslen)",
  EVP_DigestVerifyInit: "int EVP_DigestVerifyInit(void *ctx, void *pctx, void *md, void *engine, void *pkey)",
  EVP_DigestVerify:
    "int EVP_DigestVerify(void *ctx, const uint8_t *sig, size_t siglen, const uint8_t *tbs, size_t tbslen)",
  EVP_PKEY_sign_init: "int EVP_PKEY_sign_init(void *pctx)",
  EVP_PKEY_sign:
    "int EVP_PKEY_sign(void *pctx, _Out_ uint8_t *sig, _Inout_ size_t *siglen, const uint8_t *tbs, size_t tbslen)",
  EVP_PKEY_verify_init: "int EVP_PKEY_verify_init(void *pctx)",
  EVP_PKEY_verify:
    "int EVP_PKEY_verify(void *pctx, const uint8_t *sig, size_t siglen, const uint8_t *tbs, size_t tbslen)",
} as const;

type Fns = { -readonly [K in keyof typeof SIGNATURES]: Koffi.KoffiFunction };

/** An SM2 DER signature is at most 72 bytes (two 33-byte INTEGERs); OpenSSL asks for the maximum up front. */
const SIG_MAX = 80;
/** EVP_PKEY_PUBLIC_KEY: OSSL_KEYMGMT_SELECT_ALL_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY */
const EVP_PKEY_PUBLIC_KEY = 0x86;
/** Keys larger than this are not SM2 keys (an SM2 PKCS#8 is ~150 bytes, an SPKI 91). */
const SCRATCH = 1024;

function loadKoffi(): typeof Koffi {
  // module.createRequire(import.meta.url): Next's bundler traces it (koffi is in serverExternalPackages)
  return createRequire(import.meta.url)("koffi") as typeof Koffi;
}

function bind(koffi: typeof Koffi, lib: Koffi.IKoffiLib): Fns {
  const out = {} as Fns;
  for (const [name, sig] of Object.entries(SIGNATURES)) out[name as keyof Fns] = lib.func(sig);
  return out;
}

/** `library` when given; else the process's own OpenSSL when it exports OpenSSL 3, else libcrypto.so.3. */
function openLibrary(koffi: typeof Koffi, library?: string): { fns: Fns; where: string } {
  const reasons: string[] = [];
  const candidates: [string | null, string][] = library
    ? [[library, library]]
    : [
        [null, "this Node process"],
        ["libcrypto.so.3", "libcrypto.so.3"],
      ];
  for (const [path, where] of candidates) {
    try {
      const fns = bind(koffi, koffi.load(path));
      const num = Number(fns.OpenSSL_version_num());
      if (num >= 0x30000000 && num < 0x40000000) return { fns, where };
      reasons.push(`${where}: OpenSSL ${num.toString(16)} is not 3.x`);
    } catch (e) {
      reasons.push(`${where}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no OpenSSL 3 libcrypto (${reasons.join("; ")})`);
}

const registry = new FinalizationRegistry<() => void>((free) => free());

class NativeKey implements Sm2NativeKey {
  #ptr: Ptr | null;
  #free: (p: Ptr) => void;
  constructor(ptr: Ptr, free: (p: Ptr) => void) {
    this.#ptr = ptr;
    this.#free = free;
    registry.register(this, () => free(ptr), this);
  }
  get ptr(): Ptr {
    if (this.#ptr === null) throw new Error("SM2 key already freed");
    return this.#ptr;
  }
  free(): void {
    if (this.#ptr === null) return;
    registry.unregister(this);
    this.#free(this.#ptr);
    this.#ptr = null;
  }
}

/**
 * Loads libcrypto through koffi and binds the functions; throws with the reason when that is not possible.
 * `library`: a libcrypto file to use instead (SM2_LIBCRYPTO); inside Node its internal calls still bind to the
 * process's OpenSSL symbols (see above), so this is for a Node that exports none.
 */
export function loadSm2Native(options: { library?: string } = {}): Sm2Native {
  const koffi = loadKoffi();
  const { fns: f, where } = openLibrary(koffi, options.library);
  const sm3 = f.EVP_MD_fetch(null, "SM3", null) as Ptr;
  if (!sm3) throw new Error("this OpenSSL has no SM3");
  const library = `${f.OpenSSL_version(0) as string} (${where})`;

  // DER goes to d2i_* through native memory: `scratch` holds the bytes, `cursor` the pointer d2i advances
  const scratch = koffi.alloc("uint8_t", SCRATCH) as Ptr;
  const scratchView = Buffer.from(koffi.view(scratch, SCRATCH));
  const cursor = koffi.alloc("void *", 1) as Ptr;
  const start = koffi.address(scratch);
  const decode = (fn: Koffi.KoffiFunction, der: Uint8Array): Ptr | null => {
    if (der.length === 0 || der.length > SCRATCH) return null;
    scratchView.set(der);
    koffi.encode(cursor, "uint64_t", start);
    try {
      return (fn(null, cursor, der.length) as Ptr) || null;
    } finally {
      scratchView.fill(0, 0, der.length);
      f.ERR_clear_error();
    }
  };
  const freeKey = (p: Ptr) => f.EVP_PKEY_free(p);
  // OSSL_PARAM_BLD keeps the pointers it is given (the keys even in the params it builds): C strings that live
  // as long as this instance, not koffi's per-call copies
  const cString = (text: string): Ptr => {
    const bytes = Buffer.from(`${text}\0`, "latin1");
    const mem = koffi.alloc("uint8_t", bytes.length) as Ptr;
    Buffer.from(koffi.view(mem, bytes.length)).set(bytes);
    return mem;
  };
  const [GROUP, PUB, SM2] = ["group", "pub", "SM2"].map(cString);
  /** EVP_PKEY_fromdata({ group: "SM2", pub: point }): the point is copied into `scratch` for OSSL_PARAM_BLD */
  const fromPoint = (point: Uint8Array): Ptr | null => {
    if (point.length !== 65 && point.length !== 33) return null;
    scratchView.set(point);
    const bld = f.OSSL_PARAM_BLD_new() as Ptr;
    const pctx = f.EVP_PKEY_CTX_new_from_name(null, "SM2", null) as Ptr;
    let params: Ptr = null;
    try {
      if (!bld || !pctx) throw new Error("OpenSSL: out of memory");
      if (
        f.OSSL_PARAM_BLD_push_utf8_string(bld, GROUP, SM2, 3) !== 1 ||
        f.OSSL_PARAM_BLD_push_octet_string(bld, PUB, scratch, point.length) !== 1 ||
        !(params = f.OSSL_PARAM_BLD_to_param(bld) as Ptr)
      )
        throw new Error("OpenSSL: OSSL_PARAM_BLD failed");
      const out: Ptr[] = [null];
      if (f.EVP_PKEY_fromdata_init(pctx) !== 1) throw new Error("OpenSSL: EVP_PKEY_fromdata_init failed");
      return f.EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params) === 1 ? out[0] || null : null;
    } finally {
      if (params) f.OSSL_PARAM_free(params);
      if (bld) f.OSSL_PARAM_BLD_free(bld);
      if (pctx) f.EVP_PKEY_CTX_free(pctx);
      f.ERR_clear_error();
    }
  };
  const asKey = (pkey: Ptr | null): NativeKey | undefined => {
    if (!pkey) return undefined;
    if (f.EVP_PKEY_is_a(pkey, "SM2") !== 1) {
      freeKey(pkey);
      return undefined;
    }
    return new NativeKey(pkey, freeKey);
  };
  const ptrOf = (key: Sm2NativeKey) => (key as NativeKey).ptr;
  const len = [0];

  /** EVP_MD_CTX + EVP_PKEY_CTX with the ID, initialised for DigestSign/DigestVerify; both freed after `use`. */
  function withDigestCtx<T>(key: Sm2NativeKey, id: string, verify: boolean, use: (mctx: Ptr) => T): T {
    const pkey = ptrOf(key);
    const idBytes = Buffer.from(id, "utf8");
    const mctx = f.EVP_MD_CTX_new() as Ptr;
    const pctx = f.EVP_PKEY_CTX_new(pkey, null) as Ptr;
    try {
      if (!mctx || !pctx) throw new Error("OpenSSL: out of memory");
      if (f.EVP_PKEY_CTX_set1_id(pctx, idBytes, idBytes.length) !== 1) throw new Error("OpenSSL: set1_id failed");
      f.EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
      const init = verify ? f.EVP_DigestVerifyInit : f.EVP_DigestSignInit;
      if (init(mctx, null, sm3, null, pkey) !== 1) throw new Error("OpenSSL: DigestSign/VerifyInit failed");
      return use(mctx);
    } finally {
      // EVP_MD_CTX_set_pkey_ctx leaves the EVP_PKEY_CTX to its owner: free both
      if (mctx) f.EVP_MD_CTX_free(mctx);
      if (pctx) f.EVP_PKEY_CTX_free(pctx);
      f.ERR_clear_error();
    }
  }
  function withPkeyCtx<T>(key: Sm2NativeKey, verify: boolean, use: (pctx: Ptr) => T): T {
    const pctx = f.EVP_PKEY_CTX_new(ptrOf(key), null) as Ptr;
    try {
      if (!pctx) throw new Error("OpenSSL: out of memory");
      if ((verify ? f.EVP_PKEY_verify_init : f.EVP_PKEY_sign_init)(pctx) !== 1)
        throw new Error("OpenSSL: sign/verify init failed");
      return use(pctx);
    } finally {
      if (pctx) f.EVP_PKEY_CTX_free(pctx);
      f.ERR_clear_error();
    }
  }
  const signed = (ok: number, sig: Buffer): Buffer => {
    if (ok !== 1) throw new Error("OpenSSL: SM2 signing failed");
    return Buffer.from(sig.subarray(0, len[0]));
  };

  return {
    library,
    privateKey(pkcs8) {
      const key = asKey(decode(f.d2i_AutoPrivateKey, pkcs8));
      if (!key) throw new Error("OpenSSL did not read an SM2 private key");
      return key;
    },
    publicKey: (spki) => asKey(decode(f.d2i_PUBKEY, spki)),
    publicKeyFromPoint: (point) => asKey(fromPoint(point)),
    sign(key, data, id) {
      return withDigestCtx(key, id, false, (mctx) => {
        const sig = Buffer.alloc(SIG_MAX);
        len[0] = SIG_MAX;
        return signed(f.EVP_DigestSign(mctx, sig, len, data, data.length) as number, sig);
      });
    },
    signDigest(key, e) {
      return withPkeyCtx(key, false, (pctx) => {
        const sig = Buffer.alloc(SIG_MAX);
        len[0] = SIG_MAX;
        return signed(f.EVP_PKEY_sign(pctx, sig, len, e, e.length) as number, sig);
      });
    },
    verify: (key, data, signature, id) =>
      withDigestCtx(
        key,
        id,
        true,
        (mctx) => f.EVP_DigestVerify(mctx, signature, signature.length, data, data.length) === 1,
      ),
    verifyDigest: (key, e, signature) =>
      withPkeyCtx(key, true, (pctx) => f.EVP_PKEY_verify(pctx, signature, signature.length, e, e.length) === 1),
  };
}
