import { DomainError, type ErrorCode } from "@/lib/errors";

/**
 * The request/response protocol between the assistant and a module host (one child process per middleware
 * library, see host.ts and isolated.ts), over Node's IPC channel with JSON messages. Buffers travel as
 * `{ $b64 }`; DomainErrors keep their code and details, anything else becomes a message.
 */

export const METHODS = [
  "probe",
  "listTokens",
  "pinStatus",
  "sign",
  "keygen",
  "install",
  "unlock",
  "importEncryptionKeyPair",
] as const;
export type Method = (typeof METHODS)[number];

export interface HostRequest {
  id: number;
  method: Method;
  args: unknown[];
}

export interface HostError {
  code?: string;
  details?: Record<string, unknown>;
  message: string;
}

export type HostResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: HostError };

export function encode(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $b64: value.toString("base64") };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  return value;
}

export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    const b64 = (value as { $b64?: unknown }).$b64;
    if (typeof b64 === "string") return Buffer.from(b64, "base64");
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

export function errorOf(e: unknown): HostError {
  if (e instanceof DomainError) return { code: e.code, details: e.details, message: e.message };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** Back to a DomainError on the assistant's side; errors without a code name the library. */
export function errorFrom(error: HostError, library: string): DomainError {
  if (error.code) return new DomainError(error.code as ErrorCode, error.details ?? {});
  return new DomainError("TOKEN_MIDDLEWARE_ERROR", { library, reason: error.message });
}
