/** DER as PEM text, for handing certificates to openssl and to file inputs. */
export function derToPem(der: Buffer, label = "CERTIFICATE"): string {
  const b64 = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
