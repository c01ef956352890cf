import { createHmac, timingSafeEqual } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Tx } from "../db";
import type { Clock } from "../clock";
import { subKey, type ChainAlg, type ChainKeys } from "./chain";

/**
 * Checkpoints of the audit chain's head, signed (HMAC with a sub-key of AUDIT_CHAIN_KEY) and kept OUTSIDE the
 * database, one JSON line each, in an append-only file in DATA_DIR. A database writer can delete the newest events
 * or rebuild the chain, but cannot make the head match a checkpoint it cannot sign: the verifier then tells a
 * truncation from an edit. Copy the file off the machine too (the daily audit mail, backups) so that whoever edits
 * the database cannot also rewrite it. `legacyHead` pins the last event of the unkeyed first chain.
 */
export interface Checkpoint {
  v: 1;
  seq: number;
  hash: string;
  /** when the checkpoint was made (ISO) */
  at: string;
  /** the HMAC that signs this line */
  alg: Exclude<ChainAlg, "sha256">;
  legacyHead: { seq: number; hash: string } | null;
  mac: string;
}

type Unsigned = Omit<Checkpoint, "mac">;

function macOf(cp: Unsigned, keys: Pick<ChainKeys, "master">): string {
  const text = JSON.stringify([cp.v, cp.seq, cp.hash, cp.at, cp.alg, cp.legacyHead]);
  return createHmac(cp.alg === "hmac-sm3" ? "sm3" : "sha256", subKey(keys, cp.alg, "checkpoint"))
    .update(text)
    .digest("hex");
}

export function signCheckpoint(cp: Unsigned, keys: Pick<ChainKeys, "master">): Checkpoint {
  return { ...cp, mac: macOf(cp, keys) };
}

export function checkpointValid(cp: Checkpoint, keys: Pick<ChainKeys, "master">): boolean {
  if (cp.alg !== "hmac-sha256" && cp.alg !== "hmac-sm3") return false;
  const want = Buffer.from(macOf(cp, keys), "hex");
  const got = Buffer.from(String(cp.mac), "hex");
  return got.length === want.length && timingSafeEqual(got, want);
}

export interface CheckpointFile {
  valid: Checkpoint[];
  /** lines that do not parse or whose signature does not verify (1-based line numbers) */
  invalid: number[];
}

/** Reads checkpoint files (missing files count as empty); valid checkpoints come back sorted by seq. */
export function readCheckpoints(files: string[], keys: Pick<ChainKeys, "master">): CheckpointFile {
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
          if (Number.isInteger(cp.seq) && typeof cp.hash === "string" && checkpointValid(cp, keys)) valid.push(cp);
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
  legacyHead: Checkpoint["legacyHead"],
  keys: ChainKeys,
  clock: Clock,
): Checkpoint {
  return signCheckpoint(
    { v: 1, seq: head.seq, hash: head.hash, at: clock.now().toISOString(), alg: keys.alg, legacyHead },
    keys,
  );
}
