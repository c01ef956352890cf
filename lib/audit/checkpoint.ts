import { createHmac, timingSafeEqual } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Tx } from "../db";
import type { Clock } from "../clock";
import { keyring, subKey, type ChainAlg, type ChainKey, type ChainKeys } from "./chain";

/**
 * Checkpoints of the audit chain's head, signed (HMAC with a sub-key of AUDIT_CHAIN_KEY) and kept OUTSIDE the
 * database, one JSON line each, in an append-only file in DATA_DIR. A database writer can delete the newest events
 * or rebuild the chain, but cannot make the head match a checkpoint it cannot sign: the verifier then tells a
 * truncation from an edit. Copy the file off the machine too (the daily audit mail, backups) so that whoever edits
 * the database cannot also rewrite it. `legacyHead` pins the last event of the unkeyed first chain.
 */
export interface Checkpoint {
  /**
   * 3: `lanes` names every chain lane's head (and is signed too); 2: `kid` names the key that signed it (and is
   * signed too); 1: written before key ids, any key may verify it. Before v3 the chain had one lane (lane 1).
   */
  v: 1 | 2 | 3;
  seq: number;
  hash: string;
  /** when the checkpoint was made (ISO) */
  at: string;
  /** the HMAC that signs this line */
  alg: Exclude<ChainAlg, "sha256">;
  legacyHead: { seq: number; hash: string } | null;
  /** v2: the id of the AUDIT_CHAIN_KEY that signed it (lib/audit/chain.ts keyId) */
  kid?: string;
  /** v3: the newest event of each lane that has one, by lane (`seq`/`hash` above: the newest of them all) */
  lanes?: LanePosition[];
  mac: string;
}

/** Where one lane of the chain ends: its newest event. */
export interface LanePosition {
  lane: number;
  seq: number;
  hash: string;
}

/** The lanes a checkpoint names; one written before lanes names lane 1, the only lane there was. */
export function lanesOf(cp: Pick<Checkpoint, "seq" | "hash" | "lanes">): LanePosition[] {
  return cp.lanes ?? [{ lane: 1, seq: cp.seq, hash: cp.hash }];
}

type Unsigned = Omit<Checkpoint, "mac">;

function macOf(cp: Unsigned, keys: Pick<ChainKeys, "master">): string {
  const fields: unknown[] = [cp.v, cp.seq, cp.hash, cp.at, cp.alg, cp.legacyHead];
  const lanes = (cp.lanes ?? []).map((l) => [l.lane, l.seq, l.hash]);
  const text = JSON.stringify(cp.v === 3 ? [...fields, cp.kid, lanes] : cp.v === 2 ? [...fields, cp.kid] : fields);
  return createHmac(cp.alg === "hmac-sm3" ? "sm3" : "sha256", subKey(keys, cp.alg, "checkpoint"))
    .update(text)
    .digest("hex");
}

export function signCheckpoint(cp: Unsigned, keys: Pick<ChainKeys, "master">): Checkpoint {
  return { ...cp, mac: macOf(cp, keys) };
}

export function checkpointValid(cp: Checkpoint, keys: Pick<ChainKeys, "master">): boolean {
  if (cp.alg !== "hmac-sha256" && cp.alg !== "hmac-sm3") return false;
  if (cp.v !== 1 && cp.v !== 2 && cp.v !== 3) return false;
  if (cp.v === 3 && !Array.isArray(cp.lanes)) return false;
  const want = Buffer.from(macOf(cp, keys), "hex");
  const got = Buffer.from(String(cp.mac), "hex");
  return got.length === want.length && timingSafeEqual(got, want);
}

export interface CheckpointFile {
  valid: Checkpoint[];
  /** lines that do not parse or whose signature does not verify (1-based line numbers) */
  invalid: number[];
}

/** The key of the ring that signed `cp` (the one its `kid` names, else any for a v1 line), or undefined. */
function signerOf(cp: Checkpoint, ring: ChainKey[]): ChainKey | undefined {
  return ring.filter((k) => cp.v === 1 || k.kid === cp.kid).find((k) => checkpointValid(cp, k));
}

/**
 * Reads checkpoint files (missing files count as empty); valid checkpoints come back sorted by seq, each with the id
 * of the key (current or previous) that signed it in `kid`.
 */
export function readCheckpoints(files: string[], keys: ChainKeys): CheckpointFile {
  const ring = keyring(keys);
  const valid: Checkpoint[] = [];
  const invalid: number[] = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (!line.trim()) return;
        try {
          const cp = JSON.parse(line) as Checkpoint;
          const signer = Number.isInteger(cp.seq) && typeof cp.hash === "string" ? signerOf(cp, ring) : undefined;
          if (signer) valid.push({ ...cp, kid: signer.kid });
          else invalid.push(i + 1);
        } catch {
          invalid.push(i + 1);
        }
      });
  }
  valid.sort((a, b) => a.seq - b.seq);
  return { valid, invalid };
}

/** Appends one checkpoint line; the file and its folder are private to the portal's user. */
export function appendCheckpoint(file: string, cp: Checkpoint): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, JSON.stringify(cp) + "\n", { mode: 0o600 });
}

/** The newest event of the unkeyed first chain, if there is one (pinned by the first checkpoint). */
export async function legacyHeadOf(db: Tx): Promise<{ seq: number; hash: string } | null> {
  const row = await db.auditEvent.findFirst({
    where: { alg: "sha256" },
    orderBy: { seq: "desc" },
    select: { seq: true, hash: true },
  });
  return row;
}

export function newCheckpoint(
  head: { seq: number; hash: string },
  lanes: LanePosition[],
  legacyHead: Checkpoint["legacyHead"],
  keys: ChainKeys,
  clock: Clock,
): Checkpoint {
  const at = clock.now().toISOString();
  const kid = keyring(keys)[0].kid;
  return signCheckpoint({ v: 3, seq: head.seq, hash: head.hash, at, alg: keys.alg, legacyHead, kid, lanes }, keys);
}
