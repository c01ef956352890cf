import { createHash, verify, X509Certificate } from "node:crypto";
import { children, content, nul, octets, oid, read, readAll, readOid, seq, tlv, type Node } from "../der";
import { parseCertificate } from "../x509";
import { upstreamFetch } from "./http";

/**
 * RA mode's 证书状态查询 asks the upstream CA's OCSP responder (the URL in the certificate's AIA) what it says
 * about a certificate: a plain RFC 6960 request (SHA-1 CertID, no nonce, as RFC 5019 clients send), the answer's
 * signature checked against the issuing CA (directly, or through a responder certificate the CA issued), and
 * the result cached briefly per serial.
 */

export type UpstreamCertStatus =
  | { status: "good"; thisUpdate: Date }
  | { status: "revoked"; thisUpdate: Date; revokedAt: Date; reason?: number }
  | { status: "unknown"; thisUpdate: Date };

const AIA = "1.3.6.1.5.5.7.1.1";
const AD_OCSP = "1.3.6.1.5.5.7.48.1";
const AD_CA_ISSUERS = "1.3.6.1.5.5.7.48.2";
const BASIC = "1.3.6.1.5.5.7.48.1.1";
const SIG_HASH: Record<string, string> = {
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.5": "sha1",
};

/** The URLs of the certificate's authority information access: its OCSP responder and its issuer's certificate. */
export function aiaUrls(certDer: Buffer): { ocsp?: string; caIssuers?: string } {
  const ext = parseCertificate(certDer).extensions.get(AIA);
  const out: { ocsp?: string; caIssuers?: string } = {};
  if (!ext) return out;
  for (const ad of children(readAll(ext))) {
    const [method, location] = children(ad);
    if (location.tag !== 0x86) continue; // uniformResourceIdentifier
    const url = content(location).toString("latin1");
    const m = readOid(method);
    if (m === AD_OCSP) out.ocsp ??= url;
    if (m === AD_CA_ISSUERS) out.caIssuers ??= url;
  }
  return out;
}

export function buildOcspRequest(certDer: Buffer, issuerDer: Buffer): Buffer {
  const issuer = parseCertificate(issuerDer);
  const cert = parseCertificate(certDer);
  const spkiParts = children(readAll(issuer.spki));
  const keyBits = content(spkiParts[1]).subarray(1);
  const sha1 = (b: Buffer) => createHash("sha1").update(b).digest();
  const issuerName = issuer.der.subarray(issuer.subjectName.start, issuer.subjectName.end);
  const serial = Buffer.from(cert.serialHex, "hex");
  const certId = seq(
    seq(oid("1.3.14.3.2.26"), nul()),
    octets(sha1(issuerName)),
    octets(sha1(keyBits)),
    tlv(0x02, serial),
  );
  return seq(seq(seq(seq(certId))));
}

function timeOf(n: Node): Date {
  const s = content(n).toString("latin1");
  return new Date(
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`,
  );
}

/** Reads an OCSPResponse for `serialHex`, checking its signature with the issuer (or a responder it certified). */
export function readOcspResponse(der: Buffer, serialHex: string, issuer: X509Certificate): UpstreamCertStatus {
  const [statusNode, bytesNode] = children(readAll(der));
  if (content(statusNode)[0] !== 0) throw new Error(`OCSP responder answered status ${content(statusNode)[0]}`);
  const [typeNode, basicOctets] = children(children(bytesNode)[0]);
  if (readOid(typeNode) !== BASIC) throw new Error("not a basic OCSP response");
  const basic = readAll(content(basicOctets));
  const [tbs, alg, sig, certs] = children(basic);
  const hash = SIG_HASH[readOid(children(alg)[0])];
  if (!hash) throw new Error("OCSP response signed with an unsupported algorithm");
  const tbsDer = basic.buf.subarray(tbs.start, tbs.end);
  const signature = content(sig).subarray(1);
  let signer = issuer;
  if (!verify(hash, tbsDer, signer.publicKey, signature)) {
    const first = certs ? children(children(certs)[0])[0] : undefined;
    const responder = first ? new X509Certificate(first.buf.subarray(first.start, first.end)) : undefined;
    if (!responder || !responder.verify(issuer.publicKey)) throw new Error("OCSP response not signed by the CA");
    signer = responder;
    if (!verify(hash, tbsDer, signer.publicKey, signature)) throw new Error("OCSP response signature does not verify");
  }
  const fields = children(tbs);
  const responses = fields.find((f, i) => f.tag === 0x30 && i > 0 && fields[i - 1].tag === 0x18)!;
  for (const single of children(responses)) {
    const [certId, certStatus, thisUpdateNode] = children(single);
    const idParts = children(certId);
    const serial = content(idParts[3]).toString("hex");
    if (serial.replace(/^00/, "") !== serialHex.replace(/^00/, "")) continue;
    const thisUpdate = timeOf(thisUpdateNode);
    if (certStatus.tag === 0x80) return { status: "good", thisUpdate };
    if (certStatus.tag === 0xa1) {
      const [at, reasonNode] = children(certStatus);
      const reason = reasonNode ? content(read(content(reasonNode)))[0] : undefined;
      return { status: "revoked", thisUpdate, revokedAt: timeOf(at), reason };
    }
    return { status: "unknown", thisUpdate };
  }
  throw new Error("the OCSP response does not answer for this certificate");
}

const cache = new Map<string, { until: number; value: UpstreamCertStatus }>();
const issuerCache = new Map<string, X509Certificate>();

/**
 * What the upstream CA's OCSP responder says about the certificate; null when there is nothing to ask (no AIA,
 * no issuer certificate) or the responder cannot be reached or answers nonsense: the caller shows the registry.
 */
export async function upstreamOcspStatus(
  cert: { serial: string; der: Uint8Array; chainDer: Uint8Array | null },
  opts: { timeoutMs: number; cacheMs?: number },
): Promise<UpstreamCertStatus | null> {
  const hit = cache.get(cert.serial);
  if (hit && hit.until > Date.now()) return hit.value;
  const der = Buffer.from(cert.der);
  try {
    const { ocsp, caIssuers } = aiaUrls(der);
    if (!ocsp) return null;
    let issuer: X509Certificate | undefined;
    if (cert.chainDer) {
      const chain = Buffer.from(cert.chainDer);
      issuer = new X509Certificate(chain.subarray(0, read(chain).end));
    } else if (caIssuers) {
      issuer = issuerCache.get(caIssuers);
      if (!issuer) {
        const r = await upstreamFetch(caIssuers, { method: "GET", timeoutMs: opts.timeoutMs });
        issuer = new X509Certificate(r.body);
        issuerCache.set(caIssuers, issuer);
      }
    }
    if (!issuer) return null;
    const body = buildOcspRequest(der, Buffer.from(issuer.raw));
    const r = await upstreamFetch(ocsp, {
      method: "POST",
      body,
      contentType: "application/ocsp-request",
      timeoutMs: opts.timeoutMs,
    });
    const value = readOcspResponse(r.body, cert.serial, issuer);
    cache.set(cert.serial, { until: Date.now() + (opts.cacheMs ?? 60_000), value });
    return value;
  } catch {
    return null;
  }
}
