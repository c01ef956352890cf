import type { Config } from "@/lib/config";
import { getConfig } from "@/lib/config";
import { createCfsslIssuer } from "./cfssl";
import { createCmpIssuer } from "./cmp-factory";
import type { UpstreamIssuer } from "./types";

export type { UpstreamIssuer } from "./types";

type IssuerConfig = Pick<
  Config,
  | "ISSUER"
  | "CFSSL_URL"
  | "CFSSL_AUTH_KEY"
  | "CFSSL_PROFILE"
  | "CMP_SERVER_URL"
  | "CMP_REF"
  | "CMP_SECRET"
  | "CMP_CERT"
  | "CMP_KEY"
  | "CMP_TRUSTED"
  | "CMP_KEY_PASSPHRASE"
  | "CMP_TLS_TRUSTED"
  | "CMP_RECIPIENT"
  | "CMP_SENDER"
  | "CMP_RENEWAL_REQUEST"
  | "UPSTREAM_TIMEOUT_MS"
>;

/** The upstream CA the configuration names, or null for ISSUER=builtin (the portal's own CA signs). */
export function upstreamIssuerFor(config: IssuerConfig): UpstreamIssuer | null {
  switch (config.ISSUER) {
    case "builtin":
      return null;
    case "cfssl":
      return createCfsslIssuer({
        url: config.CFSSL_URL!,
        authKeyHex: config.CFSSL_AUTH_KEY!,
        profile: config.CFSSL_PROFILE,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      });
    case "cmp":
      return createCmpIssuer({
        serverUrl: config.CMP_SERVER_URL!,
        ref: config.CMP_REF,
        secret: config.CMP_SECRET,
        certFile: config.CMP_CERT,
        keyFile: config.CMP_KEY,
        keyPassphrase: config.CMP_KEY_PASSPHRASE,
        trustedFile: config.CMP_TRUSTED,
        tlsTrustedFile: config.CMP_TLS_TRUSTED,
        recipient: config.CMP_RECIPIENT,
        sender: config.CMP_SENDER,
        renewalRequest: config.CMP_RENEWAL_REQUEST,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      });
  }
}

let cached: { issuer: UpstreamIssuer | null } | undefined;

/** The process's upstream issuer (null in builtin mode), made once from getConfig(). */
export function getUpstreamIssuer(): UpstreamIssuer | null {
  cached ??= { issuer: upstreamIssuerFor(getConfig()) };
  return cached.issuer;
}

/** Test seam of getUpstreamIssuer(): the next call reads the changed configuration. */
export function resetUpstreamIssuer(): void {
  cached = undefined;
}

/**
 * What the portal's /ocsp and /crl/* do, in one place for the Next routes and the node:http front:
 * - `sign`: ISSUER=builtin, the portal's CA signs CRLs and OCSP responses (today);
 * - `proxy`: RA mode, forward to the upstream's responder / CRL (UPSTREAM_OCSP_URL, UPSTREAM_CRL_URL), cached briefly;
 * - `pointer`: RA mode, 404 with a short text naming where the upstream serves them.
 */
export type ProtocolMode =
  | { kind: "sign" }
  | { kind: "proxy"; ocspUrl?: string; crlUrl?: string; cacheSeconds: number }
  | { kind: "pointer"; ocspUrl?: string; crlUrl?: string };

export function protocolMode(
  config: Pick<Config, "ISSUER" | "RA_STATUS_ENDPOINTS" | "UPSTREAM_OCSP_URL" | "UPSTREAM_CRL_URL">,
): ProtocolMode {
  if (config.ISSUER === "builtin") return { kind: "sign" };
  const urls = { ocspUrl: config.UPSTREAM_OCSP_URL, crlUrl: config.UPSTREAM_CRL_URL };
  return config.RA_STATUS_ENDPOINTS === "proxy"
    ? { kind: "proxy", ...urls, cacheSeconds: 60 }
    : { kind: "pointer", ...urls };
}
