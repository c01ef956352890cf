import type {
  AssistantInfo,
  InstallResult,
  KeygenResult,
  PinStatus,
  SignResult,
  TokenSummary,
  UnlockResult,
} from "./types";

/**
 * The page's client for the certificate assistant (runs in the browser: fetch only, no Node imports).
 * Every call has a timeout, and every failure becomes an AssistantError with a code of
 * lib/errors/catalog/token.ts (or the assistant's own code), so the page can say what is wrong and what to do.
 */

const DEFAULT_ASSISTANT_URL = "http://127.0.0.1:17443";
/** The oldest assistant this portal works with; older ones are asked to update. */
const MIN_ASSISTANT_VERSION = "1.0.0";
const ASSISTANT_API_VERSION = 1;

/** Every code an AssistantError can carry; each has zh-CN/en text in lib/errors (errorMessage(code, locale, details)). */
export const ASSISTANT_ERROR_CODES = [
  "ASSISTANT_NOT_RUNNING",
  "ASSISTANT_OUTDATED",
  "ASSISTANT_TIMEOUT",
  "LNA_DENIED",
  "TOKEN_NOT_PRESENT",
  "TOKEN_NOT_FOUND",
  "TOKEN_CERT_NOT_FOUND",
  "TOKEN_REMOVED",
  "PIN_INCORRECT",
  "PIN_INCORRECT_UNCOUNTED",
  "PIN_LOCKED",
  "PIN_INVALID",
  "SO_PIN_INCORRECT",
  "SO_PIN_LOCKED",
  "CHALLENGE_REFUSED",
  "TOKEN_NO_PENDING_KEY",
  "TOKEN_BUNDLE_INVALID",
  "TOKEN_KEY_UNSUPPORTED",
  "TOKEN_OPERATION_FAILED",
  "TOKEN_MIDDLEWARE_ERROR",
  "TOKEN_ENVELOPE_INVALID",
  "ASSISTANT_ORIGIN_FORBIDDEN",
  "ASSISTANT_HOST_FORBIDDEN",
  "BAD_REQUEST",
  "VALIDATION_FAILED",
  "PAYLOAD_TOO_LARGE",
  "NOT_FOUND",
  "INTERNAL",
] as const;

export type AssistantErrorCode = (typeof ASSISTANT_ERROR_CODES)[number];

export class AssistantError extends Error {
  constructor(
    readonly code: AssistantErrorCode,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code);
    this.name = "AssistantError";
  }
}

export type LocalNetworkPermission = "granted" | "denied" | "prompt" | "unsupported";

/** Permission names Chrome has used for Local Network Access (142: one name; later split local/loopback). */
const LNA_PERMISSION_NAMES = ["loopback-network", "local-network-access", "local-network"];

/**
 * Chrome 142+ asks the holder before a public page may reach 127.0.0.1. "prompt": explain the browser's
 * question before the first call; "denied": show how to allow it in site settings. Other browsers: "unsupported".
 */
export async function localNetworkPermission(
  permissions: Pick<Permissions, "query"> | undefined = globalThis.navigator?.permissions,
): Promise<LocalNetworkPermission> {
  if (!permissions) return "unsupported";
  let seen: LocalNetworkPermission = "unsupported";
  for (const name of LNA_PERMISSION_NAMES) {
    try {
      const state = (await permissions.query({ name: name as PermissionName })).state;
      if (state === "denied") return "denied";
      if (seen === "unsupported" || state === "prompt") seen = state;
    } catch {
      // this browser does not know the name
    }
  }
  return seen;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(".").map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

export interface AssistantClientOptions {
  baseUrl?: string;
  /** ordinary calls (info, tokens, PIN status, sign) */
  timeoutMs?: number;
  /** keygen (RSA key generation on a USB key can take tens of seconds) and install */
  slowTimeoutMs?: number;
  minVersion?: string;
  /** "zh-CN" or "en": the language of the assistant's error messages */
  locale?: string;
  fetch?: typeof fetch;
  permissions?: Pick<Permissions, "query">;
}

export interface AssistantClient {
  /** Detects the assistant: ASSISTANT_NOT_RUNNING, LNA_DENIED, ASSISTANT_OUTDATED, or its info. */
  info(): Promise<AssistantInfo>;
  tokens(): Promise<TokenSummary[]>;
  /** The tokens that carry a certificate; TOKEN_NOT_PRESENT when none is inserted. */
  requireTokens(): Promise<TokenSummary[]>;
  pinStatus(tokenId: string): Promise<PinStatus>;
  sign(args: { tokenId: string; certId: string; pin: string; challenge: string }): Promise<SignResult>;
  /** `algorithm`: make a key of this algorithm instead of the old key's family ("SM2": migration to SM2) */
  keygen(args: { tokenId: string; certId: string; pin: string; algorithm?: "SM2" }): Promise<KeygenResult>;
  /** `pkcs7`: base64 DER certs-only bundle from the portal. Safe to retry after TOKEN_REMOVED. */
  /** `envelope`: dual certificates, the KMC's ENVELOPEDKEYBLOB (base64) for the pending key */
  install(args: { tokenId: string; pin: string; pkcs7: string; envelope?: string }): Promise<InstallResult>;
  unlock(args: { tokenId: string; soPin: string; newPin: string; newSoPin: string }): Promise<UnlockResult>;
  /** key recovery: the KMC's ENVELOPEDKEYBLOB (base64) for certificate `certId`'s key, and the encryption certificate */
  importKey(args: {
    tokenId: string;
    certId: string;
    pin: string;
    envelope: string;
    certificate: string;
  }): Promise<{ tokenId: string; certId: string }>;
}

export function createAssistantClient(options: AssistantClientOptions = {}): AssistantClient {
  const baseUrl = (options.baseUrl ?? DEFAULT_ASSISTANT_URL).replace(/\/$/, "");
  const timeoutMs = options.timeoutMs ?? 10_000;
  const slowTimeoutMs = options.slowTimeoutMs ?? 120_000;
  const minVersion = options.minVersion ?? MIN_ASSISTANT_VERSION;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let checked: Promise<AssistantInfo> | undefined;

  async function call<T>(method: "GET" | "POST", path: string, body: unknown, limitMs: number): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limitMs);
    let res: Response;
    try {
      res = await doFetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(options.locale ? { "accept-language": options.locale } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch {
      if (controller.signal.aborted) throw new AssistantError("ASSISTANT_TIMEOUT");
      // a refused connection and a browser block look the same to the page; the permission tells them apart
      const permission = await localNetworkPermission(options.permissions ?? globalThis.navigator?.permissions);
      throw new AssistantError(permission === "denied" ? "LNA_DENIED" : "ASSISTANT_NOT_RUNNING", { permission });
    } finally {
      clearTimeout(timer);
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new AssistantError(res.ok ? "ASSISTANT_OUTDATED" : "ASSISTANT_NOT_RUNNING", { status: res.status });
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; details?: Record<string, unknown> } }).error;
      // an assistant too old to know a path answers NOT_FOUND for it
      if (error?.code === "NOT_FOUND") throw new AssistantError("ASSISTANT_OUTDATED", { path });
      const code = ASSISTANT_ERROR_CODES.find((c) => c === error?.code) ?? "INTERNAL";
      throw new AssistantError(code, error?.details ?? { status: res.status });
    }
    return json as T;
  }

  function info(): Promise<AssistantInfo> {
    checked ??= call<AssistantInfo>("GET", "/v1/info", undefined, timeoutMs)
      .then((i) => {
        if (i.name !== "certrenew-assistant")
          throw new AssistantError("ASSISTANT_NOT_RUNNING", { found: String(i.name) });
        if (i.apiVersion !== ASSISTANT_API_VERSION || compareVersions(i.version, minVersion) < 0)
          throw new AssistantError("ASSISTANT_OUTDATED", { version: i.version, required: minVersion });
        return i;
      })
      .catch((e: unknown) => {
        checked = undefined;
        throw e;
      });
    return checked;
  }

  async function checkedCall<T>(method: "GET" | "POST", path: string, body: unknown, limitMs = timeoutMs): Promise<T> {
    await info();
    return call<T>(method, path, body, limitMs);
  }

  async function tokens(): Promise<TokenSummary[]> {
    return (await checkedCall<{ tokens: TokenSummary[] }>("GET", "/v1/tokens", undefined)).tokens;
  }

  return {
    info,
    tokens,
    async requireTokens() {
      const found = (await tokens()).filter((t) => t.certificates.length > 0);
      if (found.length === 0) throw new AssistantError("TOKEN_NOT_PRESENT");
      return found;
    },
    async pinStatus(tokenId) {
      return (
        await checkedCall<{ pin: PinStatus }>("GET", `/v1/pin-status?tokenId=${encodeURIComponent(tokenId)}`, undefined)
      ).pin;
    },
    sign: (args) => checkedCall<SignResult>("POST", "/v1/sign", args),
    keygen: (args) => checkedCall<KeygenResult>("POST", "/v1/keygen", args, slowTimeoutMs),
    install: (args) => checkedCall<InstallResult>("POST", "/v1/install", args, slowTimeoutMs),
    unlock: (args) => checkedCall<UnlockResult>("POST", "/v1/unlock", args, slowTimeoutMs),
    importKey: (args) =>
      checkedCall<{ tokenId: string; certId: string }>("POST", "/v1/import-key", args, slowTimeoutMs),
  };
}
