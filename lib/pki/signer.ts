import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from "node:crypto";
import { isMainThread } from "node:worker_threads";
import * as asn1js from "asn1js";
import { bytesOf, fromDer } from "./asn1";
import { bits, children, content, ecdsaRawToDer, nul, oid, read, seq } from "./der";
import { OID } from "./oids";
import { CK, PKCS11, type Handle } from "../pkcs11";
import { metrics } from "../metrics";
import {
  generateSm2KeyPair,
  sm2KeyObject,
  sm2PairOfKeyObject,
  sm2SigningKey,
  sm2SignatureToDer,
  sm2SpkiEncode,
  sm2Z,
  sm3,
  SM2_OIDS,
  type Sm2SigningKey,
} from "../crypto/sm2";

export type SignerAlgorithm = "P-256" | "P-384" | "RSA-2048" | "RSA-3072" | "RSA-4096" | "SM2";

/** A CA key. The private key never leaves it: callers hand in bytes and get a DER-encoded X.509 signature. */
export interface Signer {
  algorithm: SignerAlgorithm;
  publicKeySpki: Buffer;
  /** signature over `data` in the encoding X.509, CRLs, OCSP and CMS use (ECDSA as DER SEQUENCE{r,s}) */
  sign(data: Buffer): Promise<Buffer>;
}

interface AlgorithmSpec {
  digest: "sha256" | "sha384" | "sm3";
  /** AlgorithmIdentifier of the signature, DER */
  signatureAlgorithm: Buffer;
}

const ALGORITHMS: Record<SignerAlgorithm, AlgorithmSpec> = {
  "P-256": { digest: "sha256", signatureAlgorithm: seq(oid(OID.ecdsaSha256)) },
  "P-384": { digest: "sha384", signatureAlgorithm: seq(oid(OID.ecdsaSha384)) },
  "RSA-2048": { digest: "sha256", signatureAlgorithm: seq(oid(OID.sha256WithRSA), nul()) },
  "RSA-3072": { digest: "sha256", signatureAlgorithm: seq(oid(OID.sha256WithRSA), nul()) },
  "RSA-4096": { digest: "sha256", signatureAlgorithm: seq(oid(OID.sha256WithRSA), nul()) },
  // SM2-with-SM3 has no parameters (GM/T 0015)
  SM2: { digest: "sm3", signatureAlgorithm: seq(oid(SM2_OIDS.sm2WithSm3)) },
};

export function signatureAlgorithmFor(algorithm: SignerAlgorithm): Buffer {
  return ALGORITHMS[algorithm].signatureAlgorithm;
}

/** SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }: certificates, CRLs and BasicOCSPResponse share it. */
export async function signStructure(tbs: Buffer, signer: Signer): Promise<Buffer> {
  const sig = await signer.sign(tbs).catch((e: unknown) => {
    metrics.signerErrors.inc();
    throw e;
  });
  return seq(tbs, ALGORITHMS[signer.algorithm].signatureAlgorithm, bits(sig));
}

/** Key algorithm name of a key, e.g. "RSA-2048", "P-256" or "SM2"; undefined for anything else. */
function algorithmOfKey(key: KeyObject): SignerAlgorithm | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec")
    return d?.namedCurve === "prime256v1" ? "P-256" : d?.namedCurve === "secp384r1" ? "P-384" : undefined;
  if (key.asymmetricKeyType === "rsa") {
    const name = `RSA-${d?.modulusLength}`;
    return name in ALGORITHMS ? (name as SignerAlgorithm) : undefined;
  }
  return sm2PairOfKeyObject(key) ? "SM2" : undefined;
}

export function generateKey(algorithm: SignerAlgorithm): KeyObject {
  if (algorithm === "SM2") {
    return sm2KeyObject(generateSm2KeyPair());
  }
  const { privateKey } = algorithm.startsWith("P-")
    ? generateKeyPairSync("ec", { namedCurve: algorithm })
    : generateKeyPairSync("rsa", { modulusLength: Number(algorithm.slice(4)) });
  return privateKey;
}

/** Encrypted PKCS#8 PEM (PBES2, AES-256-CBC); SM2 keys too (OpenSSL encrypts them, sm-crypto-v2 signs with them). */
export function encryptPrivateKey(key: KeyObject, passphrase: string): string {
  return key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }) as string;
}

/**
 * A key held in this process, loaded from an encrypted PKCS#8 PEM. On the main thread it signs on libuv's thread
 * pool (both cores, the event loop stays free); on a worker thread it signs inline, since blocking a worker costs
 * nothing and the pool's hand-off costs about a third of a P-256 signature.
 */
export class FileSigner implements Signer {
  readonly algorithm: SignerAlgorithm;
  readonly publicKeySpki: Buffer;
  readonly #key: KeyObject;
  readonly #digest: string;
  /** SM2: the key (an OpenSSL EVP_PKEY made once, or the scalar for sm-crypto-v2: lib/crypto/sm2) and Z (SM3 of the default ID and the CA's public key) */
  readonly #sm2?: { key: Sm2SigningKey; z: Buffer };

  constructor(privateKey: KeyObject) {
    const algorithm = algorithmOfKey(privateKey);
    if (!algorithm || privateKey.type !== "private")
      throw new Error("unsupported CA key: use P-256, P-384, RSA-2048/3072/4096 or SM2");
    this.algorithm = algorithm;
    this.#key = privateKey;
    this.#digest = ALGORITHMS[algorithm].digest;
    const sm2 = algorithm === "SM2" ? sm2PairOfKeyObject(privateKey) : undefined;
    if (sm2) {
      this.#sm2 = { key: sm2SigningKey(sm2.privateKey, sm2.publicKey), z: sm2Z(sm2.publicKey) };
      this.publicKeySpki = sm2SpkiEncode(sm2.publicKey);
    } else {
      this.publicKeySpki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
    }
  }

  static fromEncryptedPem(pem: string | Buffer, passphrase: string): FileSigner {
    return new FileSigner(createPrivateKey({ key: pem, format: "pem", passphrase }));
  }

  sign(data: Buffer): Promise<Buffer> {
    // SM2 signs inline (OpenSSL through koffi, synchronous; or the sm-crypto-v2 fallback): no pool to hand it to
    if (this.#sm2) return Promise.resolve(this.#sm2.key.signDigest(sm3(this.#sm2.z, data)));
    if (!isMainThread) return Promise.resolve(cryptoSign(this.#digest, data, { key: this.#key, dsaEncoding: "der" }));
    return new Promise((resolve, reject) => {
      cryptoSign(this.#digest, data, { key: this.#key, dsaEncoding: "der" }, (err, sig) =>
        err ? reject(err) : resolve(sig),
      );
    });
  }
}

export interface Pkcs11Options {
  module: string;
  tokenLabel: string;
  pin: string;
  keyLabel: string;
  /**
   * The vendor's SM2 signing mechanism (PKCS#11 has none; e.g. a vendor-defined CKM_SM2_SM3). Needed for an SM2
   * key (CKK_EC on curve 1.2.156.10197.1.301, or `sm2KeyType`).
   */
  sm2Mechanism?: number;
  /** what that mechanism takes: the data (it computes Z and SM3 with the default ID) or e = SM3(Z ‖ M) */
  sm2Input?: "data" | "digest";
  /** a vendor-defined key type for SM2 keys, for HSMs that do not store them as CKK_EC */
  sm2KeyType?: number;
}

type Pkcs11Module = typeof CK;

/** koffi is loaded only when a CA key lives in an HSM. */
async function loadKoffi() {
  const m = await import("koffi");
  return m.default;
}

// A module may be initialised once per process: share it between signers and finalise after the last one closes.
// On globalThis: Next's bundles and the node:http front's copy of this code (lib/runtime/direct.ts) share the process.
type LoadedModule = { m: Pkcs11Module; p11: PKCS11; users: number; pins: Map<string, string> };
const shared = globalThis as unknown as { __certrenewPkcs11Modules?: Map<string, LoadedModule> };
const modules = (shared.__certrenewPkcs11Modules ??= new Map<string, LoadedModule>());

async function acquireModule(modulePath: string) {
  let entry = modules.get(modulePath);
  if (!entry) {
    const m = CK;
    const p11 = new PKCS11(await loadKoffi(), modulePath);
    p11.C_Initialize();
    entry = { m, p11, users: 0, pins: new Map<string, string>() };
    modules.set(modulePath, entry);
  }
  entry.users++;
  return entry;
}

export function releaseModule(modulePath: string): void {
  const entry = modules.get(modulePath);
  if (!entry || --entry.users > 0) return;
  modules.delete(modulePath);
  entry.p11.C_Finalize();
}

/**
 * A logged-in R/W session on the token labelled `tokenLabel` (shared module, see acquireModule); the caller closes it
 * and calls releaseModule. Also used by the KMC master key in an HSM (lib/kmc/hsm.ts).
 */
export async function openTokenSession(opts: Pick<Pkcs11Options, "module" | "tokenLabel" | "pin">) {
  const entry = await acquireModule(opts.module);
  const { m, p11 } = entry;
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === opts.tokenLabel);
    if (!slot) throw new Error(`PKCS#11 token "${opts.tokenLabel}" not found`);
    const session = p11.C_OpenSession(slot, m.CKF_SERIAL_SESSION | m.CKF_RW_SESSION);
    try {
      p11.C_Login(session, m.CKU_USER, opts.pin);
      entry.pins.set(opts.tokenLabel, opts.pin);
    } catch (e) {
      // login state is shared by all sessions of this process: the token cannot check the PIN again, so we do
      if (!/USER_ALREADY_LOGGED_IN/.test(String(e))) throw e;
      if (entry.pins.get(opts.tokenLabel) !== opts.pin) throw new Error("CKR_PIN_INCORRECT", { cause: e });
    }
    return { m, p11, session };
  } catch (e) {
    releaseModule(opts.module);
    throw e;
  }
}

/** The first object of class `cls` labelled `label`, or null. */
export function findObject(m: Pkcs11Module, p11: PKCS11, session: Handle, cls: number, label: string): Handle | null {
  p11.C_FindObjectsInit(session, [
    { type: m.CKA_CLASS, value: cls },
    { type: m.CKA_LABEL, value: label },
  ]);
  const [h] = p11.C_FindObjects(session, 1);
  p11.C_FindObjectsFinal(session);
  return h ?? null;
}

/**
 * A CA key inside a PKCS#11 token (an HSM; SoftHSM2 in tests). SoftHSM2 has no CKM_ECDSA_SHA256, so EC data is
 * hashed here and signed with CKM_ECDSA, whose raw r||s output is converted to DER. Calls are synchronous inside
 * one JS turn, so SignInit+Sign pairs never interleave on the shared session.
 */
export class Pkcs11Signer implements Signer {
  private constructor(
    readonly algorithm: SignerAlgorithm,
    readonly publicKeySpki: Buffer,
    private readonly p11: PKCS11,
    private readonly session: Handle,
    private readonly key: Handle,
    private readonly mech: { mechanism: number; prehash?: "sha256" | "sha384"; sm2Z?: Buffer },
    private readonly modulePath: string,
  ) {}

  private static openSession = openTokenSession;
  private static find = findObject;

  static async open(opts: Pkcs11Options): Promise<Pkcs11Signer> {
    const { m, p11, session } = await Pkcs11Signer.openSession(opts);
    try {
      const priv = Pkcs11Signer.find(m, p11, session, m.CKO_PRIVATE_KEY, opts.keyLabel);
      const pub = Pkcs11Signer.find(m, p11, session, m.CKO_PUBLIC_KEY, opts.keyLabel);
      if (!priv || !pub)
        throw new Error(`PKCS#11 key "${opts.keyLabel}" not found (private and public objects are needed)`);
      const [type] = p11.C_GetAttributeValue(session, pub, [{ type: m.CKA_KEY_TYPE }]);
      const keyType = (type.value as Buffer).readUInt32LE(0); // CK_ULONG, little-endian; key types fit 32 bits
      let spki: Buffer;
      const sm2Curve = oid(SM2_OIDS.sm2Curve);
      if (keyType === m.CKK_EC || (opts.sm2KeyType !== undefined && keyType === opts.sm2KeyType)) {
        const [params, ecPoint] = p11.C_GetAttributeValue(session, pub, [
          { type: m.CKA_EC_PARAMS },
          { type: m.CKA_EC_POINT },
        ]);
        // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point
        const q = fromDer(ecPoint.value as Buffer);
        if (!(q instanceof asn1js.OctetString)) throw new Error("PKCS#11 CKA_EC_POINT is not an OCTET STRING");
        const point = bytesOf(q.valueBlock.valueHexView);
        if (keyType !== m.CKK_EC || sm2Curve.equals(params.value as Buffer)) {
          if (opts.sm2Mechanism === undefined)
            throw new Error(
              `PKCS#11 key "${opts.keyLabel}" is an SM2 key: set CA_PKCS11_SM2_MECHANISM to the HSM's SM2 signing mechanism`,
            );
          const z = opts.sm2Input === "digest" ? sm2Z(point) : undefined;
          const mech = { mechanism: opts.sm2Mechanism, sm2Z: z ?? Buffer.alloc(0) };
          return new Pkcs11Signer("SM2", sm2SpkiEncode(point), p11, session, priv, mech, opts.module);
        }
        spki = seq(seq(oid(OID.ecPublicKey), params.value as Buffer), bits(point));
      } else if (keyType === m.CKK_RSA) {
        const [n, e] = p11.C_GetAttributeValue(session, pub, [
          { type: m.CKA_MODULUS },
          { type: m.CKA_PUBLIC_EXPONENT },
        ]);
        spki = createPublicKey({
          key: {
            kty: "RSA",
            n: (n.value as Buffer).toString("base64url"),
            e: (e.value as Buffer).toString("base64url"),
          },
          format: "jwk",
        }).export({ type: "spki", format: "der" });
      } else {
        throw new Error("PKCS#11 key type not supported: use EC P-256/P-384 or RSA");
      }
      const algorithm = algorithmOfKey(createPublicKey({ key: spki, format: "der", type: "spki" }));
      if (!algorithm) throw new Error("PKCS#11 key size or curve not supported");
      const mech = algorithm.startsWith("P-")
        ? { mechanism: m.CKM_ECDSA, prehash: ALGORITHMS[algorithm].digest as "sha256" | "sha384" }
        : { mechanism: m.CKM_SHA256_RSA_PKCS };
      return new Pkcs11Signer(algorithm, spki, p11, session, priv, mech, opts.module);
    } catch (e) {
      p11.C_CloseSession(session);
      releaseModule(opts.module);
      throw e;
    }
  }

  /** Creates a key pair in the token (non-extractable, sensitive private key) labelled `keyLabel`. */
  static async generate(opts: Pkcs11Options & { algorithm: SignerAlgorithm }): Promise<void> {
    const { m, p11, session } = await Pkcs11Signer.openSession(opts);
    try {
      const id = createHash("sha1").update(opts.keyLabel).digest();
      const common = [
        { type: m.CKA_TOKEN, value: true },
        { type: m.CKA_LABEL, value: opts.keyLabel },
        { type: m.CKA_ID, value: id },
      ];
      const priv = [
        ...common,
        { type: m.CKA_PRIVATE, value: true },
        { type: m.CKA_SIGN, value: true },
        { type: m.CKA_SENSITIVE, value: true },
        { type: m.CKA_EXTRACTABLE, value: false },
      ];
      if (opts.algorithm.startsWith("P-") || opts.algorithm === "SM2") {
        const curve = oid(
          opts.algorithm === "SM2" ? SM2_OIDS.sm2Curve : opts.algorithm === "P-256" ? OID.p256 : OID.p384,
        );
        p11.C_GenerateKeyPair(
          session,
          { mechanism: m.CKM_EC_KEY_PAIR_GEN },
          [...common, { type: m.CKA_VERIFY, value: true }, { type: m.CKA_EC_PARAMS, value: curve }],
          priv,
        );
      } else {
        p11.C_GenerateKeyPair(
          session,
          { mechanism: m.CKM_RSA_PKCS_KEY_PAIR_GEN },
          [
            ...common,
            { type: m.CKA_VERIFY, value: true },
            { type: m.CKA_MODULUS_BITS, value: Number(opts.algorithm.slice(4)) },
            { type: m.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
          ],
          priv,
        );
      }
    } finally {
      p11.C_CloseSession(session);
      releaseModule(opts.module);
    }
  }

  async sign(data: Buffer): Promise<Buffer> {
    if (this.mech.sm2Z) {
      // an empty Z: the mechanism hashes the data itself; otherwise it signs e = SM3(Z ‖ M)
      const input = this.mech.sm2Z.length ? sm3(this.mech.sm2Z, data) : data;
      this.p11.C_SignInit(this.session, { mechanism: this.mech.mechanism }, this.key);
      const out = Buffer.from(this.p11.C_Sign(this.session, input));
      // vendors return r‖s (64 bytes) like CKM_ECDSA; a few return the DER SEQUENCE already
      return out.length === 64 ? sm2SignatureToDer(out) : out;
    }
    const input = this.mech.prehash ? createHash(this.mech.prehash).update(data).digest() : data;
    this.p11.C_SignInit(this.session, { mechanism: this.mech.mechanism }, this.key);
    const out = this.p11.C_Sign(this.session, input);
    return this.mech.prehash ? ecdsaRawToDer(out) : Buffer.from(out);
  }

  close(): void {
    this.p11.C_CloseSession(this.session);
    releaseModule(this.modulePath);
  }
}

/**
 * SHA-1 of the subjectPublicKey BIT STRING contents: RFC 5280 key identifier (method 1) and OCSP key hash.
 * Read with der.ts, not asn1js: it runs for every issued certificate (its SKI), inside the TBS fast path.
 */
export function keyIdentifier(spki: Buffer, hash: "sha1" | "sha256" = "sha1"): Buffer {
  const [, key] = children(read(spki));
  return createHash(hash).update(content(key).subarray(1)).digest();
}
