import { createHash, createHmac } from "node:crypto";
import type { Config } from "../config";

/**
 * How an audit event's hash is made. Each event records its algorithm, so the chain can move from one to the next
 * and every event keeps verifying:
 * - `sha256`: the first chain, SHA-256 over the previous hash and the event. Anyone who can write the table can
 *   recompute it, so only events written before the keyed chain use it.
 * - `hmac-sha256` / `hmac-sm3`: HMAC with a key derived from AUDIT_CHAIN_KEY, which the database does not hold
 *   (CRYPTO_SUITE=gm chooses SM3). The algorithm name is part of the MAC, so it cannot be swapped either.
 */
export type ChainAlg = "sha256" | "hmac-sha256" | "hmac-sm3";
export const CHAIN_ALGS: readonly ChainAlg[] = ["sha256", "hmac-sha256", "hmac-sm3"];
export const GENESIS = "0".repeat(64);

/**
 * Where a lane's chain starts (lib/audit/index.ts): lane 1, the chain from before lanes, at GENESIS, every other lane
 * at a value of its own, so two lanes never give the same event the same hash (the hash column is unique). The
 * migration that made the lanes wrote the same values into their head rows.
 */
export function laneGenesis(lane: number): string {
  return lane === 1 ? GENESIS : createHash("sha256").update(`certrenew-audit-lane-${lane}`).digest("hex");
}

export interface Hashable {
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  fromState: string | null;
  toState: string | null;
  ip: string | null;
  userAgent: string | null;
  data: unknown;
  createdAt: Date;
  prevHash: string;
}

export interface ChainKeys {
  /** the algorithm new events are written with */
  alg: Exclude<ChainAlg, "sha256">;
  /** the master key (AUDIT_CHAIN_KEY); sub-keys for the chain and the checkpoints are derived from it */
  master: Buffer;
  /** the master key's id (keyId), recorded with each event and checkpoint it seals */
  kid?: string;
  /** keys of before a rotation (AUDIT_CHAIN_KEY_PREVIOUS): what they sealed keeps verifying; they seal nothing new */
  previous?: Buffer[];
}

/** A chain key as the verifier holds it: the key and its id. */
export interface ChainKey {
  kid: string;
  master: Buffer;
}

/** A key's id: a fingerprint that names it in events, checkpoints and reports without revealing it. */
export function keyId(master: Buffer): string {
  return createHmac("sha256", master).update("certrenew audit key id").digest("hex").slice(0, 16);
}

/** Every key that verifies, the current one first. */
export function keyring(keys: ChainKeys): ChainKey[] {
  return [keys.master, ...(keys.previous ?? [])].map((master) => ({ kid: keyId(master), master }));
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}

function body(e: Hashable): string {
  return canonical({
    actorType: e.actorType,
    actorId: e.actorId,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    fromState: e.fromState,
    toState: e.toState,
    ip: e.ip,
    userAgent: e.userAgent,
    data: e.data,
    createdAt: e.createdAt.toISOString(),
  });
}

const digestOf = (alg: ChainAlg) => (alg === "hmac-sm3" ? "sm3" : "sha256");

/** A purpose-bound sub-key of the master key, so a chain MAC can never pass for a checkpoint signature. */
export function subKey(keys: Pick<ChainKeys, "master">, alg: ChainAlg, purpose: "chain" | "checkpoint"): Buffer {
  return createHmac(digestOf(alg), keys.master).update(`certrenew audit ${purpose}`).digest();
}

/** The plain hash of an event, without a key: what the first chain used, and what a re-computation would produce. */
export function plainHash(e: Hashable, alg: ChainAlg = "sha256"): string {
  return createHash(digestOf(alg)).update(e.prevHash).update("\n").update(body(e)).digest("hex");
}

/** The event's hash under `alg` (keyed algorithms need `keys`). */
export function eventHash(e: Hashable, alg: ChainAlg, keys: Pick<ChainKeys, "master"> | null): string {
  if (alg === "sha256") return plainHash(e);
  if (!keys) throw new Error("the audit chain's key (AUDIT_CHAIN_KEY) is needed to check keyed events");
  return createHmac(digestOf(alg), subKey(keys, alg, "chain"))
    .update(alg)
    .update("\n")
    .update(e.prevHash)
    .update("\n")
    .update(body(e))
    .digest("hex");
}

/**
 * The chain's keys from the configuration: AUDIT_CHAIN_KEY (required in production, generated into DATA_DIR in demo
 * mode) and, after a rotation, AUDIT_CHAIN_KEY_PREVIOUS. A development or test setup without it derives one from
 * SESSION_SECRET (and SESSION_SECRET_PREVIOUS), which the database does not hold either.
 */
export function chainKeysFrom(
  config: Pick<Config, "AUDIT_CHAIN_KEY" | "CRYPTO_SUITE" | "SESSION_SECRET"> &
    Partial<Pick<Config, "AUDIT_CHAIN_KEY_PREVIOUS" | "SESSION_SECRET_PREVIOUS">>,
): ChainKeys {
  const derived = (secret: string) => createHmac("sha256", secret).update("certrenew audit chain key").digest();
  const master = config.AUDIT_CHAIN_KEY ? Buffer.from(config.AUDIT_CHAIN_KEY, "hex") : derived(config.SESSION_SECRET);
  const previous = config.AUDIT_CHAIN_KEY
    ? (config.AUDIT_CHAIN_KEY_PREVIOUS?.split(",") ?? []).map((hex) => Buffer.from(hex, "hex"))
    : config.SESSION_SECRET_PREVIOUS
      ? [derived(config.SESSION_SECRET_PREVIOUS)]
      : [];
  return { alg: config.CRYPTO_SUITE === "gm" ? "hmac-sm3" : "hmac-sha256", master, kid: keyId(master), previous };
}
