import { CK, Pkcs11Error, type Handle, type PKCS11 } from "../pkcs11";
import { findObject, openTokenSession, releaseModule } from "../pki/signer";

/**
 * The KMC master key inside an HSM (KMC_MASTER_KEY_PKCS11): a secret key object that never leaves the token. Each
 * escrowed key gets its own 16-byte data key; the HSM wraps it (C_WrapKey) under the master key and unwraps it again
 * (C_UnwrapKey) when the escrow is opened, so the application only ever holds data keys, one escrow's worth each.
 *
 * SoftHSM2 (tests, demo) has no SM4: its master key is AES-256 with CKM_AES_KEY_WRAP_PAD (RFC 5649). A vendor HSM with
 * SM4 keeps an SM4 master key and names its wrapping mechanism (e.g. its CKM_SM4_ECB or a vendor CKM_SM4_KEY_WRAP)
 * and the data key's key type (CKK_SM4 where defined) in the configuration; the mechanism is recorded with every
 * escrowed key (escrow format), so a change of mechanism never strands existing rows.
 */

export interface HsmMasterKeyOptions {
  module: string;
  tokenLabel: string;
  pin: string;
  keyLabel: string;
  /** the wrapping mechanism (default CKM_AES_KEY_WRAP_PAD) */
  mechanism: number;
  /** the key type the data key is created/unwrapped as (default CKK_AES; CKK_SM4 or a vendor type on an SM4 HSM) */
  dataKeyType: number;
}

export const DEFAULT_WRAP_MECHANISM = CK.CKM_AES_KEY_WRAP_PAD;
export const DEFAULT_DATA_KEY_TYPE = CK.CKK_AES;

/** What went wrong opening the HSM, in the operator's words (the PIN is the usual suspect). */
function explain(e: unknown, opts: HsmMasterKeyOptions): Error {
  const text = e instanceof Error ? e.message : String(e);
  if (/PIN_INCORRECT|PIN_INVALID|PIN_LEN_RANGE/.test(text))
    return new Error(
      `KMC master key (PKCS#11): the HSM refused the PIN of token "${opts.tokenLabel}" (KMC_MASTER_KEY_PKCS11_PIN): ${text}`,
      { cause: e },
    );
  if (/PIN_LOCKED/.test(text))
    return new Error(`KMC master key (PKCS#11): the user PIN of token "${opts.tokenLabel}" is locked: ${text}`, {
      cause: e,
    });
  return new Error(`KMC master key (PKCS#11, ${opts.module}, token "${opts.tokenLabel}"): ${text}`, { cause: e });
}

export class HsmMasterKey {
  private constructor(
    private readonly p11: PKCS11,
    private readonly session: Handle,
    private readonly key: Handle,
    readonly opts: HsmMasterKeyOptions,
  ) {}

  /** Opens a session, logs in and finds the secret key labelled `keyLabel`; clear errors for PIN and missing key. */
  static async open(opts: HsmMasterKeyOptions): Promise<HsmMasterKey> {
    let opened: Awaited<ReturnType<typeof openTokenSession>>;
    try {
      opened = await openTokenSession(opts);
    } catch (e) {
      throw explain(e, opts);
    }
    const { m, p11, session } = opened;
    const key = findObject(m, p11, session, m.CKO_SECRET_KEY, opts.keyLabel);
    if (key === null) {
      p11.C_CloseSession(session);
      releaseModule(opts.module);
      throw new Error(
        `KMC master key (PKCS#11): no secret key labelled "${opts.keyLabel}" on token "${opts.tokenLabel}"`,
      );
    }
    return new HsmMasterKey(p11, session, key, opts);
  }

  /**
   * Makes the master key inside the token: AES-256, sensitive, never extractable, for wrapping only. For SoftHSM2
   * and HSMs with AES; an SM4 HSM's master key is made with the vendor's tool.
   */
  static async generateAes(opts: Omit<HsmMasterKeyOptions, "mechanism" | "dataKeyType">): Promise<void> {
    const { m, p11, session } = await openTokenSession(opts);
    try {
      p11.C_GenerateKey(session, { mechanism: m.CKM_AES_KEY_GEN }, [
        { type: m.CKA_CLASS, value: m.CKO_SECRET_KEY },
        { type: m.CKA_KEY_TYPE, value: m.CKK_AES },
        { type: m.CKA_VALUE_LEN, value: 32 },
        { type: m.CKA_TOKEN, value: true },
        { type: m.CKA_PRIVATE, value: true },
        { type: m.CKA_SENSITIVE, value: true },
        { type: m.CKA_EXTRACTABLE, value: false },
        { type: m.CKA_WRAP, value: true },
        { type: m.CKA_UNWRAP, value: true },
        { type: m.CKA_ENCRYPT, value: false },
        { type: m.CKA_DECRYPT, value: false },
        { type: m.CKA_LABEL, value: opts.keyLabel },
      ]);
    } finally {
      p11.C_CloseSession(session);
      releaseModule(opts.module);
    }
  }

  /** A session object for a data key, destroyed after `fn` whatever happens. */
  private withObject<T>(create: () => Handle, fn: (h: Handle) => T): T {
    const h = create();
    try {
      return fn(h);
    } finally {
      this.p11.C_DestroyObject(this.session, h);
    }
  }

  private dataKeyTemplate(value?: Buffer) {
    return [
      { type: CK.CKA_CLASS, value: CK.CKO_SECRET_KEY },
      { type: CK.CKA_KEY_TYPE, value: this.opts.dataKeyType },
      { type: CK.CKA_TOKEN, value: false },
      { type: CK.CKA_SENSITIVE, value: false },
      { type: CK.CKA_EXTRACTABLE, value: true },
      ...(value ? [{ type: CK.CKA_VALUE, value }] : []),
    ];
  }

  /** `dataKey` wrapped under the master key by `mechanism` (the HSM does the encryption). */
  wrap(dataKey: Buffer, mechanism = this.opts.mechanism): Buffer {
    return this.withObject(
      () => this.p11.C_CreateObject(this.session, this.dataKeyTemplate(dataKey)),
      (h) => this.p11.C_WrapKey(this.session, { mechanism }, this.key, h),
    );
  }

  /** The data key inside `wrapped`; a blob wrapped by another master key or changed fails in the HSM. */
  unwrap(wrapped: Buffer, mechanism: number): Buffer {
    try {
      return this.withObject(
        () => this.p11.C_UnwrapKey(this.session, { mechanism }, this.key, wrapped, this.dataKeyTemplate()),
        (h) => this.p11.C_GetAttributeValue(this.session, h, [{ type: CK.CKA_VALUE }])[0].value,
      );
    } catch (e) {
      if (e instanceof Pkcs11Error)
        throw new Error(`escrowed key does not unwrap under the KMC master key in the HSM (${e.message})`, {
          cause: e,
        });
      throw e;
    }
  }

  close(): void {
    this.p11.C_CloseSession(this.session);
    releaseModule(this.opts.module);
  }
}
