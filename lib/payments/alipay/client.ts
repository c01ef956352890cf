import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { AlipayRequestError, AlipaySdk } from "alipay-sdk";
import type { Config } from "../../config";
import type { LinkKeys } from "../../crypto/link-token";
import { DomainError } from "../../errors";
import { log } from "../../log";
import { metrics } from "../../metrics";

/**
 * The SDK plus the identity fields a notification must match. Built from config; in sandbox mode the launcher
 * fills the same variables with the emulator's generated keys, and the gateway defaults to the emulator's.
 */
export interface Alipay {
  sdk: AlipaySdk;
  appId: string;
  sellerId: string;
  notifyUrl: string;
  gateway: string;
}

/** Alipay's answer to one `exec` call, field names as in Alipay's documentation (snake_case). */
export interface AlipayResponse {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  [field: string]: unknown;
}

export const SANDBOX_GATEWAY_PATH = "/sandbox/alipay/gateway.do";
export const NOTIFY_PATH = "/api/payments/alipay/notify";
const PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do";

/** Environment values may carry PEM line breaks as literal `\n`. */
function pem(text: string): string {
  return text.replace(/\\n/g, "\n").trim();
}

// The Alipay console hands keys out as bare base64 (PKCS#8 for Java, PKCS#1 otherwise); PEM works too.
function readKey(raw: string, kind: "private" | "public"): KeyObject {
  const text = pem(raw);
  if (text.includes("-----BEGIN")) return kind === "private" ? createPrivateKey(text) : createPublicKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ""), "base64");
  if (kind === "public") return createPublicKey({ key: der, format: "der", type: "spki" });
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch {
    return createPrivateKey({ key: der, format: "der", type: "pkcs1" });
  }
}

export function buildAlipay(config: Config): Alipay {
  const notifyUrl = config.ALIPAY_NOTIFY_URL ?? `${config.publicOrigin}${NOTIFY_PATH}`;
  const {
    ALIPAY_APP_ID: appId,
    ALIPAY_PRIVATE_KEY: privateKey,
    ALIPAY_SELLER_ID: sellerId,
    ALIPAY_PUBLIC_KEY,
    ALIPAY_APP_CERT,
    ALIPAY_PUBLIC_CERT,
    ALIPAY_ROOT_CERT,
  } = config;
  if (!appId || !privateKey || !sellerId) throw new DomainError("ALIPAY_NOT_CONFIGURED");
  let verifyWith:
    | { alipayPublicKey: string }
    | { appCertContent: string; alipayPublicCertContent: string; alipayRootCertContent: string };
  if (ALIPAY_APP_CERT && ALIPAY_PUBLIC_CERT && ALIPAY_ROOT_CERT) {
    verifyWith = {
      appCertContent: pem(ALIPAY_APP_CERT),
      alipayPublicCertContent: pem(ALIPAY_PUBLIC_CERT),
      alipayRootCertContent: pem(ALIPAY_ROOT_CERT),
    };
  } else if (ALIPAY_PUBLIC_KEY) {
    verifyWith = { alipayPublicKey: ALIPAY_PUBLIC_KEY };
  } else {
    throw new DomainError("ALIPAY_NOT_CONFIGURED");
  }
  const gateway =
    config.ALIPAY_GATEWAY ??
    (config.ALIPAY_SANDBOX ? `${config.publicOrigin}${SANDBOX_GATEWAY_PATH}` : PRODUCTION_GATEWAY);
  const signingKey = readKey(privateKey, "private");
  const sdk = new AlipaySdk({
    appId,
    privateKey: signingKey.export({ type: "pkcs1", format: "pem" }).toString(),
    ...("alipayPublicKey" in verifyWith
      ? {
          alipayPublicKey: readKey(verifyWith.alipayPublicKey, "public")
            .export({ type: "spki", format: "pem" })
            .toString(),
        }
      : verifyWith),
    gateway,
    signType: "RSA2",
    camelcase: false,
    timeout: 10_000,
  });
  parsedKeys(sdk, signingKey);
  return { sdk, appId, sellerId, notifyUrl, gateway };
}

/**
 * The SDK takes its keys as PEM text (its constructor reformats them) and hands them to node:crypto's sign and
 * verify on every call, which then parses and checks the key each time: ~1.3 ms for an RSA-2048 private key, four
 * times the signature itself. node:crypto takes a parsed key in the same place, so the SDK's keys are swapped for
 * parsed ones once it is built (including the Alipay public key that certificate mode reads from its certificate).
 */
function parsedKeys(sdk: AlipaySdk, signingKey: KeyObject): void {
  const keys = sdk.config as unknown as { privateKey: string | KeyObject; alipayPublicKey?: string | KeyObject };
  keys.privateKey = signingKey;
  if (typeof keys.alipayPublicKey === "string") keys.alipayPublicKey = createPublicKey(keys.alipayPublicKey);
}

let cached: { config: Config; alipay: Alipay } | undefined;

/**
 * The Alipay client for `config`, built on first use and kept while the same configuration object is passed
 * (the edges pass the process configuration; tests that call resetConfig() get a new client).
 */
export function alipayFor(config: Config): Alipay {
  if (cached?.config !== config) cached = { config, alipay: buildAlipay(config) };
  return cached.alipay;
}

/**
 * What the payment steps get from the edge (a route's context, lib/runtime's jobs, a script): the Alipay client,
 * made on first use (steps that never reach Alipay never build it), and the secret the payment mail's invoice
 * link is made with (SESSION_SECRET; lib/orders/machine.ts `links`).
 */
export interface PaymentDeps {
  alipay: () => Alipay;
  links: LinkKeys;
}

/**
 * One gateway call. Response signatures are always verified; transport and signature failures become
 * ALIPAY_UNAVAILABLE. Business errors (code ≠ 10000) come back as values for the caller to judge.
 */
export async function alipayExec(
  alipay: Alipay,
  method: string,
  bizContent: Record<string, unknown>,
  opts: { notify?: boolean } = {},
): Promise<AlipayResponse> {
  const params: Record<string, unknown> = { bizContent };
  if (opts.notify) params.notify_url = alipay.notifyUrl;
  try {
    const r = (await alipay.sdk.exec(method, params, { validateSign: true })) as AlipayResponse;
    metrics.alipayCalls.inc({
      method,
      outcome: isSuccess(r) ? "success" : String(r.sub_code ?? r.code ?? "error").slice(0, 60),
    });
    return r;
  } catch (e) {
    metrics.alipayCalls.inc({ method, outcome: "unavailable" });
    const reason = e instanceof AlipayRequestError ? e.message.slice(0, 200) : String(e);
    log.warn({ method, reason }, "alipay call failed");
    throw new DomainError("ALIPAY_UNAVAILABLE", { method });
  }
}

export function isSuccess(r: AlipayResponse): boolean {
  return r.code === "10000";
}
