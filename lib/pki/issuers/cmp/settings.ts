import { readFileSync } from "node:fs";
import { z } from "zod";
import { oid, printable, seq, set, utf8 } from "../../der";
import { OID } from "../../oids";
import { pemBlocks } from "../../x509";

/**
 * What the CMP issuer needs. Certificates and key as PEM text (`certPem`, `keyPem`, `trustedPem`) or as paths of
 * PEM files (`certFile`, `keyFile`, `trustedFile`, read when the settings are parsed). Exactly one protection:
 * `ref` + `secret` (PasswordBasedMac) or a certificate + its key (`keyPem`/`keyFile`, or a Signer handed to
 * createCmpIssuer, e.g. a PKCS#11 key). `cmpSettingsFromEnv` maps the CMP_* variables.
 */
const CmpSettingsValues = z
  .object({
    /** the CA's CMP endpoint, e.g. http://ca.example:8080/pkix/ (CMP_SERVER_URL) */
    serverUrl: z.url({ protocol: /^https?$/ }),
    /** senderKID for MAC protection (CMP_REF) */
    ref: z.string().min(1).optional(),
    /** the pre-shared secret (CMP_SECRET) */
    secret: z.string().min(1).optional(),
    /** the RA's certificate, then its intermediates (CMP_CERT) */
    certPem: z.string().optional(),
    /** the RA's private key, PKCS#8 or traditional PEM (CMP_KEY); encrypted with keyPassphrase if given */
    keyPem: z.string().optional(),
    keyPassphrase: z.string().optional(),
    /** the CA certificates answers and issued certificates must chain to (CMP_TRUSTED) */
    trustedPem: z.string({ error: "CMP_TRUSTED is missing" }).min(1, "CMP_TRUSTED is missing"),
    /** https only: the CA certificates the server's TLS certificate must chain to (default: the system's) */
    tlsTrustedPem: z.string().optional(),
    /** recipient Name in OpenSSL's slash form, e.g. `/C=CN/O=Example CA/CN=Issuing CA`; default: the issuer */
    recipient: z.string().optional(),
    /** sender Name, same form; default: the RA certificate's subject, or the empty name with MAC protection */
    sender: z.string().optional(),
    /** request: "kur" (key update, raVerified POP) or "p10cr" (the holder's CSR as it is) */
    renewalRequest: z.enum(["kur", "p10cr"]).default("kur"),
    /** one HTTP exchange */
    timeoutMs: z.number().int().positive().default(15_000),
    /** how long renew() polls a "waiting" CA before it answers `pending` */
    maxWaitSeconds: z.number().int().nonnegative().default(30),
  })
  .superRefine((s, ctx) => {
    const mac = s.ref !== undefined || s.secret !== undefined;
    const sig = s.certPem !== undefined || s.keyPem !== undefined;
    if (mac && sig) ctx.addIssue({ code: "custom", message: "set CMP_REF/CMP_SECRET or CMP_CERT/CMP_KEY, not both" });
    else if (mac && !(s.ref && s.secret))
      ctx.addIssue({ code: "custom", message: "MAC protection needs both CMP_REF and CMP_SECRET" });
    else if (!mac && !s.certPem)
      ctx.addIssue({ code: "custom", message: "set CMP_REF + CMP_SECRET or CMP_CERT + CMP_KEY" });
    if (s.certPem !== undefined && pemBlocks(s.certPem, "CERTIFICATE").length === 0)
      ctx.addIssue({ code: "custom", message: "CMP_CERT holds no certificate" });
    if (pemBlocks(s.trustedPem, "CERTIFICATE").length === 0)
      ctx.addIssue({ code: "custom", message: "CMP_TRUSTED holds no certificate" });
  });

const FILES = {
  certFile: "certPem",
  keyFile: "keyPem",
  trustedFile: "trustedPem",
  tlsTrustedFile: "tlsTrustedPem",
} as const;

/** `…File` paths → the `…Pem` text they hold (a value given as text wins). */
function readFiles(input: unknown): unknown {
  if (typeof input !== "object" || input === null) return input;
  const out: Record<string, unknown> = { ...input };
  for (const [file, pem] of Object.entries(FILES)) {
    const p = out[file];
    delete out[file];
    if (typeof p !== "string" || out[pem] !== undefined) continue;
    try {
      out[pem] = readFileSync(p, "utf8");
    } catch (e) {
      throw new Error(`CMP settings: cannot read ${file} ${p}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

export const CmpSettings = z.preprocess(readFiles, CmpSettingsValues);
export type CmpSettings = Omit<z.input<typeof CmpSettingsValues>, "trustedPem"> & {
  trustedPem?: string;
  certFile?: string;
  keyFile?: string;
  trustedFile?: string;
  tlsTrustedFile?: string;
};
export type ParsedCmpSettings = z.output<typeof CmpSettingsValues>;

/**
 * Settings from the environment: CMP_SERVER_URL, CMP_REF + CMP_SECRET or CMP_CERT + CMP_KEY (+ CMP_KEY_PASSPHRASE),
 * CMP_TRUSTED, CMP_TLS_TRUSTED, CMP_RECIPIENT, CMP_SENDER, CMP_RENEWAL_REQUEST. CMP_CERT, CMP_KEY, CMP_TRUSTED and
 * CMP_TLS_TRUSTED are file paths.
 */
export function cmpSettingsFromEnv(env: Record<string, string | undefined>): ParsedCmpSettings {
  const v = (name: string) => env[name] || undefined;
  return CmpSettings.parse({
    serverUrl: v("CMP_SERVER_URL"),
    ref: v("CMP_REF"),
    secret: v("CMP_SECRET"),
    certFile: v("CMP_CERT"),
    keyFile: v("CMP_KEY"),
    keyPassphrase: v("CMP_KEY_PASSPHRASE"),
    trustedFile: v("CMP_TRUSTED"),
    tlsTrustedFile: v("CMP_TLS_TRUSTED"),
    recipient: v("CMP_RECIPIENT"),
    sender: v("CMP_SENDER"),
    renewalRequest: v("CMP_RENEWAL_REQUEST"),
  });
}

const ATTRIBUTE: Record<string, string> = {
  C: OID.C,
  ST: OID.ST,
  L: OID.L,
  O: OID.O,
  OU: OID.OU,
  CN: OID.CN,
  emailAddress: OID.emailAddress,
};

/** `/C=CN/O=Example/CN=CA` → DER Name, one attribute per RDN in the order written; `\/` escapes a slash. */
export function nameFromSlashForm(s: string): Buffer {
  if (!s.startsWith("/")) throw new Error(`name must be in the form /C=CN/O=…/CN=…: ${s}`);
  const rdns = s
    .slice(1)
    .split(/(?<!\\)\//)
    .filter((p) => p !== "")
    .map((part) => {
      const eq = part.indexOf("=");
      const type = ATTRIBUTE[part.slice(0, eq)];
      if (eq < 1 || !type) throw new Error(`unknown name attribute in ${s}`);
      const value = part.slice(eq + 1).replace(/\\\//g, "/");
      return set(seq(oid(type), type === OID.C ? printable(value) : utf8(value)));
    });
  return seq(...rdns);
}
