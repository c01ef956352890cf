import { createHash, createHmac, X509Certificate } from "node:crypto";
import { content, readAll } from "../der";
import { nameFields } from "../name";
import { OID } from "../oids";
import { parseCertificate, pemBlocks } from "../x509";
import { upstreamFetch } from "./http";
import {
  UpstreamError,
  type RenewalOutcome,
  type RenewalRequest,
  type RevocationRequest,
  type UpstreamIssuer,
} from "./types";

/**
 * ISSUER=cfssl: cfssl's remote API (`cfssl serve`). Renewals go to `/api/v1/cfssl/authsign` (the request JSON,
 * base64, with its HMAC-SHA256 under the profile's auth key), revocations to `/api/v1/cfssl/revoke` (needs
 * `-db-config`), the CA certificate comes from `/api/v1/cfssl/info`.
 *
 * Idempotency: cfssl 1.2.0 has no transaction id and no look-up by serial, so the portal chooses the serial
 * (the profile needs `"ClientProvidesSerialNumbers": true`): attempt k of a transaction asks for serial
 * H(transactionId ‖ k). A retry after a lost answer sends the same serial; cfssl's certificate store refuses the
 * duplicate (UNIQUE constraint), which proves the earlier attempt was signed but its certificate never reached
 * us: that certificate is revoked upstream (superseded) and attempt k+1 asks for the next serial. So one
 * transaction never leaves two valid certificates upstream, and the portal records exactly one.
 */

export interface CfsslSettings {
  url: string;
  /** hex key of the profile's auth_keys entry */
  authKeyHex: string;
  profile: string;
  timeoutMs: number;
}

const MAX_ATTEMPTS = 6;

interface CfsslAnswer {
  success?: boolean;
  result?: unknown;
  errors?: { code?: number; message?: string }[];
}

/** The serial cfssl is asked for on attempt `k` of a transaction: 16 bytes, positive, first byte 01xxxxxx. */
export function cfsslSerial(transactionId: Buffer, k: number): { hex: string; decimal: string } {
  const b = createHash("sha256")
    .update(transactionId)
    .update(Buffer.from([k]))
    .digest()
    .subarray(0, 16);
  b[0] = 0x40 | (b[0] & 0x3f);
  const hex = b.toString("hex");
  return { hex, decimal: BigInt(`0x${hex}`).toString() };
}

// cfssl error categories that refuse the request itself (certificate, policy, CSR): final, a refund case
const FINAL_CATEGORIES = new Set([1000, 5000, 9000]);
// …except these, which mean the profile or the portal's settings are wrong (the operator fixes it; retry later)
const CONFIG_CODES = new Set([1400 /* missing serial: profile without ClientProvidesSerialNumbers */]);

export function createCfsslIssuer(settings: CfsslSettings): UpstreamIssuer {
  const base = settings.url.replace(/\/$/, "");
  const key = Buffer.from(settings.authKeyHex, "hex");
  let caCert: Promise<X509Certificate> | undefined;

  async function call(path: string, body: unknown): Promise<CfsslAnswer & { status: number }> {
    const res = await upstreamFetch(`${base}/api/v1/cfssl/${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      contentType: "application/json",
      timeoutMs: settings.timeoutMs,
    });
    let answer: CfsslAnswer;
    try {
      answer = JSON.parse(res.body.toString("utf8")) as CfsslAnswer;
    } catch {
      throw new UpstreamError(`cfssl ${path}: not a JSON answer (HTTP ${res.status})`, true, {
        fault: "garbage",
        httpStatus: res.status,
      });
    }
    if (typeof answer !== "object" || answer === null || typeof answer.success !== "boolean")
      throw new UpstreamError(`cfssl ${path}: not a cfssl answer`, true, { fault: "garbage", httpStatus: res.status });
    return { ...answer, status: res.status };
  }

  function refusal(path: string, a: CfsslAnswer & { status: number }): UpstreamError {
    const e = a.errors?.[0] ?? {};
    const code = e.code ?? 0;
    const category = Math.floor(code / 1000) * 1000;
    const final = a.status < 500 && FINAL_CATEGORIES.has(category) && !CONFIG_CODES.has(code);
    return new UpstreamError(`cfssl ${path} refused: ${e.message ?? "no message"} (${code})`, !final, {
      fault: final ? "refused" : "error",
      httpStatus: a.status,
      code,
    });
  }

  function ca(): Promise<X509Certificate> {
    caCert ??= (async () => {
      const a = await call("info", {});
      const pem = (a.result as { certificate?: unknown } | null)?.certificate;
      if (!a.success || typeof pem !== "string") throw refusal("info", a);
      try {
        return new X509Certificate(pem);
      } catch {
        throw new UpstreamError("cfssl info: the CA certificate does not parse", true, { fault: "garbage" });
      }
    })();
    caCert.catch(() => (caCert = undefined));
    return caCert;
  }

  /** The certificate cfssl signed must be the one asked for: our serial, our key, signed by its CA. */
  function checkIssued(pem: unknown, serialHex: string, request: RenewalRequest, issuer: X509Certificate): Buffer {
    const der = typeof pem === "string" ? pemBlocks(pem, "CERTIFICATE")[0] : undefined;
    if (!der) throw new UpstreamError("cfssl authsign: no certificate in the answer", true, { fault: "garbage" });
    let parsed;
    let x509;
    try {
      parsed = parseCertificate(der);
      x509 = new X509Certificate(der);
    } catch {
      throw new UpstreamError("cfssl authsign: the certificate does not parse", true, { fault: "garbage" });
    }
    if (
      parsed.serialHex.replace(/^00/, "") !== serialHex ||
      !parsed.spki.equals(request.spki) ||
      !x509.verify(issuer.publicKey)
    )
      throw new UpstreamError("cfssl authsign: the certificate is not the one requested", true, { fault: "garbage" });
    return der;
  }

  async function revokeSerial(serialDecimal: string, reason: number): Promise<void> {
    // Debian's cfssl (1.2.0, built with Go ≥ 1.15) stores an empty authority key id: try the CA's, then that
    const ski = parseCertificate(Buffer.from((await ca()).raw)).extensions.get(OID.subjectKeyIdentifier);
    const akis = [...new Set([ski ? content(readAll(ski)).toString("hex") : "", ""])];
    let last: CfsslAnswer & { status: number } = { status: 0 };
    for (const authority_key_id of akis) {
      last = await call("revoke", { serial: serialDecimal, authority_key_id, reason: String(reason) });
      if (last.success) return;
      if (last.errors?.[0]?.code !== 11200) break; // 11200: not found under this key id
    }
    const notFound = last.errors?.[0]?.code === 11200;
    const e = refusal("revoke", last);
    // a certificate cfssl does not know can never be revoked there: final (the helpdesk sees it)
    throw notFound ? new UpstreamError(e.message, false, { ...e.detail, fault: "refused" }) : e;
  }

  return {
    kind: "cfssl",

    async renew(request: RenewalRequest): Promise<RenewalOutcome> {
      const issuer = await ca();
      const subject = nameFields(readAll(request.subjectDer));
      const csrPem = `-----BEGIN CERTIFICATE REQUEST-----\n${request.csrDer.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE REQUEST-----\n`;
      for (let k = 0; k < MAX_ATTEMPTS; k++) {
        const serial = cfsslSerial(request.transactionId, k);
        const names = [{ C: subject.C, ST: subject.ST, L: subject.L, O: subject.O, OU: subject.OU }];
        // big.Int reads a JSON number: the serial is spliced in unquoted
        const signRequest = JSON.stringify({
          certificate_request: csrPem,
          profile: settings.profile,
          label: "",
          hosts: [],
          subject: { CN: subject.CN, names },
          serial: "@SERIAL@",
        }).replace('"@SERIAL@"', serial.decimal);
        const token = createHmac("sha256", key).update(signRequest).digest("base64");
        const a = await call("authsign", { token, request: Buffer.from(signRequest).toString("base64") });
        if (a.success) {
          const certDer = checkIssued(
            (a.result as { certificate?: unknown } | null)?.certificate,
            serial.hex,
            request,
            issuer,
          );
          return { status: "issued", certDer, chainDer: [Buffer.from(issuer.raw)] };
        }
        const duplicate = a.errors?.[0]?.code === 11000 && /UNIQUE|duplicate/i.test(a.errors[0].message ?? "");
        if (!duplicate) throw refusal("authsign", a);
        await revokeSerial(serial.decimal, 4 /* superseded */);
      }
      throw new UpstreamError("cfssl authsign: every serial of this transaction is used", true, { fault: "error" });
    },

    async revoke(request: RevocationRequest): Promise<void> {
      const serialHex = parseCertificate(request.certDer).serialHex;
      await revokeSerial(BigInt(`0x${serialHex}`).toString(), request.reason);
    },
  };
}
