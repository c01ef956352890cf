import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { DomainError, toErrorResponse, type Locale } from "@/lib/errors";
import { certificatesFromPkcs7 } from "./x509";
import { challengeToSign } from "./policy";
import type { CertificateSummary, TokenBackend, TokenSummary } from "./backends/types";
import type { AssistantLog } from "./log";
import { dedupeTokens } from "./middleware/dedupe";

export const ASSISTANT_VERSION = "1.0.0";
const API_VERSION = 1;
export const MAX_BODY_BYTES = 64 * 1024;

export interface AssistantOptions {
  backends: TokenBackend[];
  /** exact origins (scheme://host[:port]) allowed to call; others get 403 */
  origins: readonly string[];
  port: number;
  clock: { now(): Date };
  log: AssistantLog;
}

/** PIN: what the portal lets holders choose (≤ 8 characters, DOMAIN rule 5), printable ASCII. */
const Pin = z.string().regex(/^[\x21-\x7e]{4,8}$/);
const SoPin = z.string().regex(/^[\x21-\x7e]{4,64}$/);
const TokenId = z.string().regex(/^[a-z0-9]{1,16}:[A-Za-z0-9_. -]{1,64}$/);
const CertId = z.string().regex(/^[0-9a-f]{2,128}$/);

const SignBody = z.object({ tokenId: TokenId, certId: CertId, pin: Pin, challenge: z.string().max(1024) });
const KeygenBody = z.object({ tokenId: TokenId, certId: CertId, pin: Pin, algorithm: z.enum(["SM2"]).optional() });
const InstallBody = z.object({
  tokenId: TokenId,
  pin: Pin,
  pkcs7: z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .max(60_000),
  /** dual certificates: the KMC's ENVELOPEDKEYBLOB for the pending key, base64 */
  envelope: z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .max(2_000)
    .optional(),
});
const ImportKeyBody = z.object({
  tokenId: TokenId,
  certId: CertId,
  pin: Pin,
  envelope: z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .max(2_000),
  certificate: z
    .string()
    .regex(/^[A-Za-z0-9+/]+={0,2}$/)
    .max(16_000),
});
const UnlockBody = z.object({ tokenId: TokenId, soPin: SoPin, newPin: Pin, newSoPin: SoPin });

class HttpError extends Error {
  constructor(readonly error: DomainError) {
    super(error.code);
  }
}

function localeOf(req: http.IncomingMessage): Locale {
  return /^en\b/i.test(req.headers["accept-language"] ?? "") ? "en" : "zh-CN";
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError(new DomainError("PAYLOAD_TOO_LARGE", { limit: MAX_BODY_BYTES })));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        reject(new HttpError(new DomainError("PAYLOAD_TOO_LARGE", { limit: MAX_BODY_BYTES })));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(new DomainError("BAD_REQUEST", { reason: "body is not JSON" })));
      }
    });
    req.on("error", (e) => {
      if (!done) reject(e);
      done = true;
    });
  });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) fields[String(issue.path[0] ?? "body")] = issue.message;
  if (Object.keys(fields).every((name) => name === "pin" || name === "newPin")) throw new DomainError("PIN_INVALID");
  throw new DomainError("VALIDATION_FAILED", { fields });
}

/**
 * The assistant's HTTP layer. Browser security is here, before any token access:
 * Host must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding), Origin must be allowed (403 otherwise, also
 * for preflights), bodies are JSON under 64 KiB, and every failure is a JSON error with a code.
 */
function createAssistantHandler(opts: AssistantOptions): http.RequestListener {
  const byName = new Map(opts.backends.map((b) => [b.name, b]));
  const hosts = new Set([`127.0.0.1:${opts.port}`, `localhost:${opts.port}`]);

  function backendOf(tokenId: string): { backend: TokenBackend; serial: string } {
    const at = tokenId.indexOf(":");
    const backend = byName.get(tokenId.slice(0, at));
    if (!backend) throw new DomainError("TOKEN_NOT_FOUND");
    return { backend, serial: tokenId.slice(at + 1) };
  }

  async function token(tokenId: string): Promise<TokenSummary> {
    const { backend } = backendOf(tokenId);
    const found = (await backend.listTokens()).find((t) => t.id === tokenId);
    if (!found) throw new DomainError("TOKEN_NOT_FOUND");
    return found;
  }

  async function certificate(tokenId: string, certId: string): Promise<CertificateSummary> {
    const found = (await token(tokenId)).certificates.find((c) => c.id === certId);
    if (!found) throw new DomainError("TOKEN_CERT_NOT_FOUND");
    return found;
  }

  /**
   * Every backend's tokens, a key seen by two libraries once. A library that fails (TOKEN_MIDDLEWARE_ERROR:
   * crashed, hung, errors) does not hide the others' keys; its error is the answer only when no key is left.
   */
  async function listAll(): Promise<TokenSummary[]> {
    const settled = await Promise.allSettled(opts.backends.map((b) => b.listTokens()));
    const tokens: TokenSummary[] = [];
    const failures: unknown[] = [];
    settled.forEach((r, i) => {
      if (r.status === "fulfilled") tokens.push(...r.value);
      else {
        failures.push(r.reason);
        opts.log.warn(
          {
            backend: opts.backends[i].name,
            err:
              r.reason instanceof Error
                ? { message: r.reason.message, details: (r.reason as DomainError).details }
                : String(r.reason),
          },
          "token backend failed to list its keys",
        );
      }
    });
    if (tokens.length === 0 && failures.length > 0) throw failures[0];
    return dedupeTokens(tokens);
  }

  type Route = (req: http.IncomingMessage, url: URL, origin: string) => Promise<unknown>;
  const routes: Record<string, Route> = {
    "GET /v1/info": async () => ({
      name: "certrenew-assistant",
      version: ASSISTANT_VERSION,
      apiVersion: API_VERSION,
      backends: opts.backends.map((b) => b.name),
    }),
    "GET /v1/tokens": async () => ({ tokens: await listAll() }),
    "GET /v1/pin-status": async (_req, url) => {
      const tokenId = parse(TokenId, url.searchParams.get("tokenId"));
      const { backend, serial } = backendOf(tokenId);
      return { tokenId, pin: await backend.pinStatus(serial) };
    },
    "POST /v1/sign": async (req, _url, origin) => {
      const body = parse(SignBody, await readBody(req));
      const cert = await certificate(body.tokenId, body.certId);
      challengeToSign(body.challenge, {
        requestOrigin: origin,
        allowedOrigins: opts.origins,
        certSerial: cert.serial,
        now: opts.clock.now(),
      });
      const { backend, serial } = backendOf(body.tokenId);
      return backend.sign(serial, { certId: body.certId, pin: body.pin, data: Buffer.from(body.challenge, "utf8") });
    },
    "POST /v1/keygen": async (req) => {
      const body = parse(KeygenBody, await readBody(req));
      const { backend, serial } = backendOf(body.tokenId);
      return backend.keygen(serial, { certId: body.certId, pin: body.pin, algorithm: body.algorithm });
    },
    "POST /v1/install": async (req) => {
      const body = parse(InstallBody, await readBody(req));
      const certificates = certificatesFromPkcs7(Buffer.from(body.pkcs7, "base64"));
      const { backend, serial } = backendOf(body.tokenId);
      const envelope = body.envelope ? Buffer.from(body.envelope, "base64") : undefined;
      return backend.install(serial, { pin: body.pin, certificates, envelope });
    },
    // key recovery (dual certificates): the KMC's envelope for a certificate already on the key
    "POST /v1/import-key": async (req) => {
      const body = parse(ImportKeyBody, await readBody(req));
      const { backend, serial } = backendOf(body.tokenId);
      if (!backend.importEncryptionKeyPair)
        throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: "SM2 (enveloped encryption key)" });
      await backend.importEncryptionKeyPair(serial, {
        certId: body.certId,
        pin: body.pin,
        envelope: Buffer.from(body.envelope, "base64"),
        certificate: Buffer.from(body.certificate, "base64"),
      });
      return { tokenId: body.tokenId, certId: body.certId };
    },
    "POST /v1/unlock": async (req) => {
      const body = parse(UnlockBody, await readBody(req));
      const { backend, serial } = backendOf(body.tokenId);
      await backend.unlock(serial, { soPin: body.soPin, newPin: body.newPin, newSoPin: body.newSoPin });
      return { tokenId: body.tokenId, pin: await backend.pinStatus(serial) };
    },
  };

  function send(res: http.ServerResponse, status: number, body: unknown, origin: string | null): void {
    const headers: Record<string, string> = {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      vary: "Origin",
    };
    if (origin) headers["access-control-allow-origin"] = origin;
    if (!res.headersSent) res.writeHead(status, headers);
    res.end(body === null ? undefined : JSON.stringify(body));
  }

  return (req, res) => {
    const locale = localeOf(req);
    const fail = (e: unknown, origin: string | null) => {
      const error = e instanceof HttpError ? e.error : e;
      const requestId = randomBytes(6).toString("hex");
      const { status, body } = toErrorResponse(error, locale, requestId);
      // request bodies (PINs) are never logged; only the path and the error
      if (status >= 500)
        opts.log.error(
          {
            requestId,
            path: req.url?.split("?")[0],
            err: error instanceof Error ? { name: error.name, message: error.message } : String(error),
          },
          "assistant request failed",
        );
      // an oversized body is drained (readBody ignores the rest), then the connection is not reused
      if (e instanceof HttpError && e.error.code === "PAYLOAD_TOO_LARGE") res.setHeader("connection", "close");
      send(res, status, body, origin);
    };

    if (!hosts.has(req.headers.host ?? "")) return fail(new DomainError("ASSISTANT_HOST_FORBIDDEN"), null);
    const origin = req.headers.origin ?? "";
    if (!opts.origins.includes(origin)) return fail(new DomainError("ASSISTANT_ORIGIN_FORBIDDEN"), null);

    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "content-type",
        "access-control-allow-private-network": "true",
        "access-control-max-age": "600",
        vary: "Origin",
      });
      res.end();
      return;
    }

    let url: URL;
    try {
      url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    } catch {
      return fail(new DomainError("BAD_REQUEST"), origin);
    }
    const route = routes[`${req.method} ${url.pathname}`];
    if (!route) return fail(new DomainError("NOT_FOUND"), origin);
    if (req.method === "POST" && !/^application\/json\b/i.test(req.headers["content-type"] ?? ""))
      return fail(new DomainError("BAD_REQUEST", { reason: "content-type must be application/json" }), origin);

    route(req, url, origin).then(
      (result) => send(res, 200, result, origin),
      (e) => fail(e, origin),
    );
  };
}

export interface RunningAssistant {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 only; port 0 picks a free port (tests). */
export async function startAssistant(
  opts: Omit<AssistantOptions, "port"> & { port: number },
): Promise<RunningAssistant> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  server.on("request", createAssistantHandler({ ...opts, port }));
  server.requestTimeout = 120_000;
  server.headersTimeout = 10_000;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
