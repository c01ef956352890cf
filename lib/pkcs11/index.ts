import type * as Koffi from "koffi";

/**
 * PKCS#11 (Cryptoki 2.40) through koffi: prebuilt FFI, no compiler on the machine that loads a module.
 * Used by the certificate assistant (vendor USB-key middleware, OpenSC, SoftHSM2) and by the CA signer (HSM).
 *
 * The caller hands in koffi (the assistant loads it its own way inside the single executable, see
 * agent/native/koffi.ts). Calls are synchronous, as in C; a module is used by one caller at a time.
 *
 * ABI: CK_ULONG is C `unsigned long` — 64-bit on Linux/macOS x64, 32-bit on Windows x64. The Windows cryptoki
 * headers wrap every structure in `#pragma pack(push, cryptoki, 1)`: CK_ATTRIBUTE and CK_MECHANISM are
 * 16 bytes there (4 + 8 + 4) and 24 elsewhere, and the function pointers of CK_FUNCTION_LIST start at byte 2
 * (right after CK_VERSION) instead of 8. koffi.pack / koffi.struct give those layouts.
 */

export const CK = {
  CKF_TOKEN_INITIALIZED: 0x400,
  CKF_USER_PIN_COUNT_LOW: 0x10000,
  CKF_USER_PIN_FINAL_TRY: 0x20000,
  CKF_USER_PIN_LOCKED: 0x40000,
  CKF_USER_PIN_TO_BE_CHANGED: 0x80000,
  CKF_SO_PIN_COUNT_LOW: 0x100000,
  CKF_SO_PIN_FINAL_TRY: 0x200000,
  CKF_SO_PIN_LOCKED: 0x400000,
  CKF_RW_SESSION: 0x2,
  CKF_SERIAL_SESSION: 0x4,
  CKU_SO: 0,
  CKU_USER: 1,
  CKR_OK: 0,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_INVALID: 0xa1,
  CKR_PIN_LEN_RANGE: 0xa2,
  CKR_PIN_LOCKED: 0xa4,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_BUFFER_TOO_SMALL: 0x150,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  CKO_CERTIFICATE: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKC_X_509: 0,
  CKK_RSA: 0,
  CKK_EC: 3,
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_VALUE: 0x11,
  CKA_CERTIFICATE_TYPE: 0x80,
  CKA_ISSUER: 0x81,
  CKA_SERIAL_NUMBER: 0x82,
  CKA_KEY_TYPE: 0x100,
  CKA_SUBJECT: 0x101,
  CKA_ID: 0x102,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_MODULUS: 0x120,
  CKA_MODULUS_BITS: 0x121,
  CKA_PUBLIC_EXPONENT: 0x122,
  CKA_EXTRACTABLE: 0x162,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKM_RSA_PKCS_KEY_PAIR_GEN: 0x0,
  CKM_SHA256_RSA_PKCS: 0x40,
  CKM_EC_KEY_PAIR_GEN: 0x1040,
  CKM_ECDSA: 0x1041,
  // secret keys and key wrapping (the KMC master key in an HSM, lib/kmc/hsm.ts)
  CKO_SECRET_KEY: 4,
  CKK_GENERIC_SECRET: 0x10,
  CKK_AES: 0x1f,
  CKA_ENCRYPT: 0x104,
  CKA_DECRYPT: 0x105,
  CKA_WRAP: 0x106,
  CKA_UNWRAP: 0x107,
  CKA_VALUE_LEN: 0x161,
  CKM_AES_KEY_GEN: 0x1080,
  CKM_AES_KEY_WRAP: 0x2109,
  CKM_AES_KEY_WRAP_PAD: 0x210a,
} as const;

const CKR_NAMES: Record<number, string> = {
  0x03: "CKR_SLOT_ID_INVALID",
  0x05: "CKR_GENERAL_ERROR",
  0x06: "CKR_FUNCTION_FAILED",
  0x07: "CKR_ARGUMENTS_BAD",
  0x10: "CKR_ATTRIBUTE_READ_ONLY",
  0x11: "CKR_ATTRIBUTE_SENSITIVE",
  0x12: "CKR_ATTRIBUTE_TYPE_INVALID",
  0x13: "CKR_ATTRIBUTE_VALUE_INVALID",
  0x30: "CKR_DEVICE_ERROR",
  0x40: "CKR_ENCRYPTED_DATA_INVALID",
  0x41: "CKR_ENCRYPTED_DATA_LEN_RANGE",
  0x31: "CKR_DEVICE_MEMORY",
  0x32: "CKR_DEVICE_REMOVED",
  0x54: "CKR_FUNCTION_NOT_SUPPORTED",
  0x60: "CKR_KEY_HANDLE_INVALID",
  0x62: "CKR_KEY_SIZE_RANGE",
  0x63: "CKR_KEY_TYPE_INCONSISTENT",
  0x68: "CKR_KEY_FUNCTION_NOT_PERMITTED",
  0x69: "CKR_KEY_NOT_WRAPPABLE",
  0x6a: "CKR_KEY_UNEXTRACTABLE",
  0x70: "CKR_MECHANISM_INVALID",
  0x71: "CKR_MECHANISM_PARAM_INVALID",
  0x82: "CKR_OBJECT_HANDLE_INVALID",
  0x90: "CKR_OPERATION_ACTIVE",
  0x91: "CKR_OPERATION_NOT_INITIALIZED",
  0xa0: "CKR_PIN_INCORRECT",
  0xa1: "CKR_PIN_INVALID",
  0xa2: "CKR_PIN_LEN_RANGE",
  0xa4: "CKR_PIN_LOCKED",
  0xb0: "CKR_SESSION_CLOSED",
  0xb3: "CKR_SESSION_HANDLE_INVALID",
  0xb5: "CKR_SESSION_READ_ONLY",
  0xd0: "CKR_TEMPLATE_INCOMPLETE",
  0xd1: "CKR_TEMPLATE_INCONSISTENT",
  0xe0: "CKR_TOKEN_NOT_PRESENT",
  0xe2: "CKR_TOKEN_WRITE_PROTECTED",
  0x100: "CKR_USER_ALREADY_LOGGED_IN",
  0x101: "CKR_USER_NOT_LOGGED_IN",
  0x104: "CKR_USER_TYPE_INVALID",
  0x110: "CKR_WRAPPED_KEY_INVALID",
  0x112: "CKR_WRAPPED_KEY_LEN_RANGE",
  0x113: "CKR_WRAPPING_KEY_HANDLE_INVALID",
  0x115: "CKR_WRAPPING_KEY_TYPE_INCONSISTENT",
  0xf0: "CKR_UNWRAPPING_KEY_HANDLE_INVALID",
  0x150: "CKR_BUFFER_TOO_SMALL",
  0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
  0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
};

/** A CK_RV other than CKR_OK; `code` is the number, the message its name (e.g. "CKR_PIN_INCORRECT"). */
export class Pkcs11Error extends Error {
  constructor(
    readonly code: number,
    readonly fn: string,
  ) {
    super(`${CKR_NAMES[code] ?? `CKR 0x${code.toString(16)}`} (${fn})`);
    this.name = "Pkcs11Error";
  }
}

/** Object, session and slot handles (CK_ULONG; modules hand out small numbers). */
export type Handle = number;
export type AttributeValue = boolean | number | string | Buffer;
export type Template = { type: number; value?: AttributeValue }[];
export interface TokenInfo {
  label: string;
  manufacturerID: string;
  model: string;
  serialNumber: string;
  flags: number;
}

// indices in CK_FUNCTION_LIST (PKCS#11 2.40, section 5.16)
const FN = {
  C_Initialize: [0, "void *"],
  C_Finalize: [1, "void *"],
  C_GetSlotList: [4, "uint8_t, void *, void *"],
  C_GetTokenInfo: [6, "unsigned long, void *"],
  C_InitPIN: [10, "unsigned long, void *, unsigned long"],
  C_SetPIN: [11, "unsigned long, void *, unsigned long, void *, unsigned long"],
  C_OpenSession: [12, "unsigned long, unsigned long, void *, void *, void *"],
  C_CloseSession: [13, "unsigned long"],
  C_Login: [18, "unsigned long, unsigned long, void *, unsigned long"],
  C_Logout: [19, "unsigned long"],
  C_CreateObject: [20, "unsigned long, void *, unsigned long, void *"],
  C_DestroyObject: [22, "unsigned long, unsigned long"],
  C_GetAttributeValue: [24, "unsigned long, unsigned long, void *, unsigned long"],
  C_SetAttributeValue: [25, "unsigned long, unsigned long, void *, unsigned long"],
  C_FindObjectsInit: [26, "unsigned long, void *, unsigned long"],
  C_FindObjects: [27, "unsigned long, void *, unsigned long, void *"],
  C_FindObjectsFinal: [28, "unsigned long"],
  C_SignInit: [42, "unsigned long, void *, unsigned long"],
  C_Sign: [43, "unsigned long, void *, unsigned long, void *, void *"],
  C_GenerateKey: [58, "unsigned long, void *, void *, unsigned long, void *"],
  C_GenerateKeyPair: [59, "unsigned long, void *, void *, unsigned long, void *, unsigned long, void *, void *"],
  C_WrapKey: [60, "unsigned long, void *, unsigned long, unsigned long, void *, void *"],
  C_UnwrapKey: [61, "unsigned long, void *, unsigned long, void *, unsigned long, void *, unsigned long, void *"],
} as const;
type FnName = keyof typeof FN;

const UNAVAILABLE = -1; // CK_UNAVAILABLE_INFORMATION (~0UL), as readUlong returns it

interface Layout {
  ulong: number;
  /** CK_ATTRIBUTE and CK_MECHANISM share the shape { CK_ULONG; void *; CK_ULONG } */
  pair: { size: number; pointer: number; length: number };
  functions: number;
}

// koffi type names are global to the process: prototypes are declared once per koffi instance
const prototypes = new WeakMap<typeof Koffi, Map<FnName, Koffi.IKoffiCType>>();

function prototypeOf(koffi: typeof Koffi, name: FnName): Koffi.IKoffiCType {
  let known = prototypes.get(koffi);
  if (!known) prototypes.set(koffi, (known = new Map()));
  let proto = known.get(name);
  if (!proto) known.set(name, (proto = koffi.proto(`unsigned long CK_${name}(${FN[name][1]})`)));
  return proto;
}

/** Sizes and offsets for `platform` (x64): Windows is LLP64 (32-bit unsigned long) and packs cryptoki to 1 byte. */
export function layoutOf(koffi: typeof Koffi, platform: NodeJS.Platform = process.platform): Layout {
  const packed = platform === "win32";
  const ulong = packed ? "uint32_t" : "unsigned long";
  const shape = { type: ulong, pValue: "void *", ulValueLen: ulong };
  const pair = packed ? koffi.pack(shape) : koffi.struct(shape);
  const list = (packed ? koffi.pack : koffi.struct)({
    version: koffi.array("uint8_t", 2),
    first: "void *",
  });
  return {
    ulong: koffi.sizeof(ulong),
    pair: {
      size: koffi.sizeof(pair),
      pointer: koffi.offsetof(pair, "pValue"),
      length: koffi.offsetof(pair, "ulValueLen"),
    },
    functions: koffi.offsetof(list, "first"),
  };
}

function encodeValue(value: AttributeValue | undefined, ulong: number): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value === "boolean") return Buffer.from([value ? 1 : 0]);
  if (typeof value === "number") {
    const b = Buffer.alloc(ulong);
    if (ulong === 8) b.writeBigUInt64LE(BigInt(value));
    else b.writeUInt32LE(value);
    return b;
  }
  if (typeof value === "string") return Buffer.from(value, "utf8");
  return value;
}

/** One loaded module: koffi.load + C_GetFunctionList + C_Initialize. */
export class PKCS11 {
  private readonly layout: Layout;
  private readonly protos = new Map<FnName, { ptr: unknown; proto: Koffi.IKoffiCType }>();
  private readonly list: unknown;
  private readonly lib: Koffi.IKoffiLib;

  constructor(
    private readonly koffi: typeof Koffi,
    readonly modulePath: string,
  ) {
    this.layout = layoutOf(koffi);
    this.lib = koffi.load(modulePath);
    const getFunctionList = this.lib.func("C_GetFunctionList", "unsigned long", ["void *"]);
    const out = koffi.alloc("void *", 1);
    try {
      const rv = getFunctionList(out) as number;
      if (rv !== 0) throw new Pkcs11Error(rv, "C_GetFunctionList");
      this.list = koffi.decode(out, "void *");
    } finally {
      koffi.free(out);
    }
    if (!this.list) throw new Error(`${modulePath}: C_GetFunctionList returned no function list`);
  }

  private call(name: FnName, ...args: unknown[]): void {
    let fn = this.protos.get(name);
    if (!fn) {
      const ptr = this.koffi.decode(this.list, this.layout.functions + FN[name][0] * 8, "void *");
      if (!ptr) throw new Pkcs11Error(0x54, name);
      fn = { ptr, proto: prototypeOf(this.koffi, name) };
      this.protos.set(name, fn);
    }
    const rv = this.koffi.call(fn.ptr, fn.proto, ...args) as number;
    if (rv !== 0) throw new Pkcs11Error(rv, name);
  }

  private ulongs(count: number): Buffer {
    return Buffer.alloc(Math.max(1, count) * this.layout.ulong);
  }

  private readUlong(b: Buffer, index = 0): number {
    if (this.layout.ulong === 4) {
      const v = b.readUInt32LE(index * 4);
      return v === 0xffffffff ? UNAVAILABLE : v;
    }
    const v = b.readBigUInt64LE(index * 8);
    if (v === 0xffffffffffffffffn) return UNAVAILABLE;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`CK_ULONG out of range: ${v}`);
    return Number(v);
  }

  private writeUlong(b: Buffer, offset: number, v: number): void {
    if (this.layout.ulong === 8) b.writeBigUInt64LE(BigInt(v), offset);
    else b.writeUInt32LE(v, offset);
  }

  /**
   * CK_ATTRIBUTE[] (or one CK_MECHANISM) in memory koffi allocated, so the pointers inside are real addresses.
   * `lengths` gives the buffer size per entry for output; values are copied in for input.
   */
  private pairs(entries: { type: number; value?: Buffer; length?: number }[]) {
    const { koffi, layout } = this;
    const allocations: unknown[] = [];
    const array = koffi.alloc("uint8_t", Math.max(1, entries.length) * layout.pair.size);
    allocations.push(array);
    const raw = Buffer.from(koffi.view(array, Math.max(1, entries.length) * layout.pair.size));
    const views: (Buffer | null)[] = [];
    entries.forEach((e, i) => {
      const base = i * layout.pair.size;
      const size = e.value ? e.value.length : (e.length ?? 0);
      this.writeUlong(raw, base, e.type);
      this.writeUlong(raw, base + layout.pair.length, size);
      if (e.value === undefined && e.length === undefined) {
        raw.writeBigUInt64LE(0n, base + layout.pair.pointer);
        views.push(null);
        return;
      }
      const mem = koffi.alloc("uint8_t", Math.max(1, size));
      allocations.push(mem);
      const view = Buffer.from(koffi.view(mem, Math.max(1, size)));
      if (e.value) e.value.copy(view);
      raw.writeBigUInt64LE(koffi.address(mem), base + layout.pair.pointer);
      views.push(view.subarray(0, size));
    });
    return {
      pointer: array,
      count: entries.length,
      lengthOf: (i: number) => this.readUlong(raw.subarray(i * layout.pair.size + layout.pair.length)),
      valueOf: (i: number) =>
        Buffer.from(views[i]!.subarray(0, this.readUlong(raw.subarray(i * layout.pair.size + layout.pair.length)))),
      free: () => allocations.forEach((a) => koffi.free(a)),
    };
  }

  private template(template: Template) {
    return this.pairs(template.map((a) => ({ type: a.type, value: encodeValue(a.value, this.layout.ulong) })));
  }

  private withTemplate<T>(template: Template, fn: (t: { pointer: unknown; count: number }) => T): T {
    const t = this.template(template);
    try {
      return fn(t);
    } finally {
      t.free();
    }
  }

  C_Initialize(): void {
    try {
      this.call("C_Initialize", null);
    } catch (e) {
      if (!(e instanceof Pkcs11Error && e.code === CK.CKR_CRYPTOKI_ALREADY_INITIALIZED)) throw e;
    }
  }

  C_Finalize(): void {
    this.call("C_Finalize", null);
    this.lib.unload();
  }

  C_GetSlotList(tokenPresent: boolean): Handle[] {
    const count = this.ulongs(1);
    this.call("C_GetSlotList", tokenPresent ? 1 : 0, null, count);
    const n = this.readUlong(count);
    const slots = this.ulongs(n);
    this.writeUlong(count, 0, n);
    this.call("C_GetSlotList", tokenPresent ? 1 : 0, slots, count);
    return Array.from({ length: this.readUlong(count) }, (_, i) => this.readUlong(slots, i));
  }

  C_GetTokenInfo(slot: Handle): TokenInfo {
    const info = Buffer.alloc(512); // CK_TOKEN_INFO is 160 to 208 bytes depending on the ABI
    this.call("C_GetTokenInfo", slot, info);
    const text = (from: number, to: number) => info.subarray(from, to).toString("utf8");
    return {
      label: text(0, 32),
      manufacturerID: text(32, 64),
      model: text(64, 80),
      serialNumber: text(80, 96),
      flags: this.readUlong(info.subarray(96)),
    };
  }

  C_OpenSession(slot: Handle, flags: number): Handle {
    const out = this.ulongs(1);
    this.call("C_OpenSession", slot, flags, null, null, out);
    return this.readUlong(out);
  }

  C_CloseSession(session: Handle): void {
    this.call("C_CloseSession", session);
  }

  C_Login(session: Handle, userType: number, pin: string): void {
    const b = Buffer.from(pin, "utf8");
    this.call("C_Login", session, userType, b, b.length);
  }

  C_Logout(session: Handle): void {
    this.call("C_Logout", session);
  }

  C_InitPIN(session: Handle, pin: string): void {
    const b = Buffer.from(pin, "utf8");
    this.call("C_InitPIN", session, b, b.length);
  }

  C_SetPIN(session: Handle, oldPin: string, newPin: string): void {
    const o = Buffer.from(oldPin, "utf8");
    const n = Buffer.from(newPin, "utf8");
    this.call("C_SetPIN", session, o, o.length, n, n.length);
  }

  C_FindObjectsInit(session: Handle, template: Template): void {
    this.withTemplate(template, (t) => this.call("C_FindObjectsInit", session, t.pointer, t.count));
  }

  C_FindObjects(session: Handle, max = 1): Handle[] {
    const handles = this.ulongs(max);
    const count = this.ulongs(1);
    this.call("C_FindObjects", session, handles, max, count);
    return Array.from({ length: this.readUlong(count) }, (_, i) => this.readUlong(handles, i));
  }

  C_FindObjectsFinal(session: Handle): void {
    this.call("C_FindObjectsFinal", session);
  }

  /** Values of the attributes, sizes asked first (pValue NULL), then read. */
  C_GetAttributeValue(
    session: Handle,
    object: Handle,
    template: { type: number }[],
  ): { type: number; value: Buffer }[] {
    const probe = this.pairs(template.map((a) => ({ type: a.type })));
    let lengths: number[];
    try {
      this.call("C_GetAttributeValue", session, object, probe.pointer, probe.count);
      lengths = template.map((_, i) => probe.lengthOf(i));
    } finally {
      probe.free();
    }
    if (lengths.some((l) => l === UNAVAILABLE)) throw new Pkcs11Error(0x12, "C_GetAttributeValue");
    const read = this.pairs(template.map((a, i) => ({ type: a.type, length: lengths[i] })));
    try {
      this.call("C_GetAttributeValue", session, object, read.pointer, read.count);
      return template.map((a, i) => ({ type: a.type, value: read.valueOf(i) }));
    } finally {
      read.free();
    }
  }

  C_SetAttributeValue(session: Handle, object: Handle, template: Template): void {
    this.withTemplate(template, (t) => this.call("C_SetAttributeValue", session, object, t.pointer, t.count));
  }

  C_CreateObject(session: Handle, template: Template): Handle {
    const out = this.ulongs(1);
    this.withTemplate(template, (t) => this.call("C_CreateObject", session, t.pointer, t.count, out));
    return this.readUlong(out);
  }

  C_DestroyObject(session: Handle, object: Handle): void {
    this.call("C_DestroyObject", session, object);
  }

  private withMechanism<T>(mechanism: { mechanism: number }, fn: (pointer: unknown) => T): T {
    const m = this.pairs([{ type: mechanism.mechanism }]);
    try {
      return fn(m.pointer);
    } finally {
      m.free();
    }
  }

  C_GenerateKeyPair(
    session: Handle,
    mechanism: { mechanism: number },
    publicTemplate: Template,
    privateTemplate: Template,
  ): { publicKey: Handle; privateKey: Handle } {
    const pub = this.ulongs(1);
    const priv = this.ulongs(1);
    this.withMechanism(mechanism, (mech) =>
      this.withTemplate(publicTemplate, (p) =>
        this.withTemplate(privateTemplate, (q) =>
          this.call("C_GenerateKeyPair", session, mech, p.pointer, p.count, q.pointer, q.count, pub, priv),
        ),
      ),
    );
    return { publicKey: this.readUlong(pub), privateKey: this.readUlong(priv) };
  }

  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void {
    this.withMechanism(mechanism, (mech) => this.call("C_SignInit", session, mech, key));
  }

  /** Signs `data`; the signature length is asked first (pSignature NULL), as the standard allows. */
  C_Sign(session: Handle, data: Buffer): Buffer {
    const length = this.ulongs(1);
    this.call("C_Sign", session, data, data.length, null, length);
    const signature = Buffer.alloc(Math.max(1, this.readUlong(length)));
    this.call("C_Sign", session, data, data.length, signature, length);
    return signature.subarray(0, this.readUlong(length));
  }

  /** A secret key made inside the token (e.g. CKM_AES_KEY_GEN with CKA_VALUE_LEN 32). */
  C_GenerateKey(session: Handle, mechanism: { mechanism: number }, template: Template): Handle {
    const out = this.ulongs(1);
    this.withMechanism(mechanism, (mech) =>
      this.withTemplate(template, (t) => this.call("C_GenerateKey", session, mech, t.pointer, t.count, out)),
    );
    return this.readUlong(out);
  }

  /** `key` encrypted under `wrappingKey` inside the token; the length is asked first (pWrappedKey NULL). */
  C_WrapKey(session: Handle, mechanism: { mechanism: number }, wrappingKey: Handle, key: Handle): Buffer {
    return this.withMechanism(mechanism, (mech) => {
      const length = this.ulongs(1);
      this.call("C_WrapKey", session, mech, wrappingKey, key, null, length);
      const wrapped = Buffer.alloc(Math.max(1, this.readUlong(length)));
      this.call("C_WrapKey", session, mech, wrappingKey, key, wrapped, length);
      return wrapped.subarray(0, this.readUlong(length));
    });
  }

  /** A new key object from `wrapped`, decrypted under `unwrappingKey` inside the token, with `template`'s attributes. */
  C_UnwrapKey(
    session: Handle,
    mechanism: { mechanism: number },
    unwrappingKey: Handle,
    wrapped: Buffer,
    template: Template,
  ): Handle {
    const out = this.ulongs(1);
    this.withMechanism(mechanism, (mech) =>
      this.withTemplate(template, (t) =>
        this.call("C_UnwrapKey", session, mech, unwrappingKey, wrapped, wrapped.length, t.pointer, t.count, out),
      ),
    );
    return this.readUlong(out);
  }
}
