import type { Tx } from "../db";
import type { Clock } from "../clock";
import { getConfig } from "../config";
import {
  CHAIN_ALGS,
  eventHash,
  keyring,
  laneGenesis,
  plainHash,
  type ChainAlg,
  type ChainKey,
  type ChainKeys,
  type Hashable,
} from "./chain";
import {
  appendCheckpoint,
  lanesOf,
  legacyHeadOf,
  newCheckpoint,
  readCheckpoints,
  type Checkpoint,
  type LanePosition,
} from "./checkpoint";
import { currentChainKeys } from "./keys";

/**
 * - `edited`: an event's content no longer matches its hash (changed in place);
 * - `deleted`: an intact event links to a hash no event has (events before it were removed), or a checkpointed
 *   event is gone while newer ones remain;
 * - `recomputed`: the hashes agree with each other but were not made with the chain's key (an unkeyed event after
 *   the keyed chain began, a keyed event whose hash is a plain hash), or a checkpointed event has another hash;
 * - `truncated`: the newest events are gone: a signed checkpoint names an event past the head, or a lane's head row
 *   names an event its lane no longer reaches;
 * - `checkpoint-invalid`: a checkpoint line whose signature does not verify (the file was edited);
 * - `key-missing`: keyed events, but no key to check them with.
 */
export type ChainProblem = "edited" | "deleted" | "recomputed" | "truncated" | "checkpoint-invalid" | "key-missing";

export interface ChainCheck {
  ok: boolean;
  checked: number;
  /** seq of the first event that does not verify (for truncated: the checkpoint's seq) */
  brokenAt?: number;
  problem?: ChainProblem;
  detail?: string;
  /** the newest event */
  head?: { seq: number; hash: string };
  /** the newest event of each lane (lib/audit/index.ts), as far as the chain was checked */
  lanes?: LanePosition[];
  /** signed checkpoints the head was checked against */
  checkpoints?: number;
  /**
   * The runs of consecutive events sealed with one key, oldest first, as far as the chain was checked: `key` is the
   * key's id (lib/audit/chain.ts keyId) or "unkeyed" for the first, SHA-256 chain; `current` marks AUDIT_CHAIN_KEY
   * (the others are AUDIT_CHAIN_KEY_PREVIOUS).
   */
  segments?: KeySegment[];
  /** valid checkpoints by the id of the key that signed them */
  checkpointKeys?: Record<string, number>;
}

export interface KeySegment {
  key: string;
  current: boolean;
  from: number;
  to: number;
  events: number;
}

export interface VerifyOptions {
  /** default: the process configuration's keys */
  keys?: ChainKeys | null;
  /** default: the configured checkpoint file (AUDIT_CHECKPOINT_FILE or DATA_DIR/audit-checkpoints.jsonl) */
  checkpointFiles?: string[];
  pageSize?: number;
  /** check only the events after this trusted point (the checkpoint job's last checkpoint and its lanes) */
  from?: { seq: number; hash: string; lanes?: LanePosition[] };
}

/** An event as read back: what was hashed, and where and how it was sealed. */
interface Row extends Hashable {
  seq: number;
  lane: number;
  alg: string;
  keyId: string | null;
  hash: string;
}

/**
 * Where the chain is checked to: the newest event of any lane once no appender is between sealing and COMMIT. Locking
 * every lane's head row FOR SHARE waits for the appenders that hold one (and holds new ones back for that one
 * statement); the rows come back as those appenders left them. Every event up to the cut is then committed, and none
 * is added below it later (a lane's next event is numbered after its lock is granted): an event in flight while the
 * chain is read can't be mistaken for a deleted one, and the next checkpoint's check starts after the cut.
 */
async function chainCut(db: Tx): Promise<Map<number, LanePosition>> {
  const rows = await db.$queryRaw<LanePosition[]>`
    SELECT "id" AS "lane", "seq", "hash" FROM "AuditHead" ORDER BY "id" FOR SHARE`;
  return new Map(rows.map((r) => [r.lane, r]));
}

/**
 * Walks the chain in order of seq, in pages, up to the cut: each event must link to its lane's previous one. Checks
 * it against the signed checkpoints and the lanes' head rows, and names the first problem.
 */
export async function verifyAuditChain(db: Tx, opts: VerifyOptions = {}): Promise<ChainCheck> {
  const heads = await chainCut(db);
  const cut = Math.max(0, ...[...heads.values()].map((h) => h.seq));
  const keys = opts.keys === undefined ? currentChainKeys() : opts.keys;
  const files = opts.checkpointFiles ?? [getConfig().auditCheckpointFile];
  const cps = keys ? readCheckpoints(files, keys) : { valid: [] as Checkpoint[], invalid: [] as number[] };
  const pageSize = opts.pageSize ?? 5000;
  // the first checkpoint pins where the unkeyed chain ended (null: every event is keyed)
  const legacyHead = cps.valid.length ? cps.valid[0].legacyHead : undefined;
  // every event a checkpoint names (each lane's head, the newest among them) and the checkpoint's time
  const pinned = new Map<number, LanePosition & { at: string }>();
  for (const c of cps.valid) for (const p of lanesOf(c)) pinned.set(p.seq, { ...p, at: c.at });
  const seen = new Set<number>();
  const ring = keys ? keyring(keys) : [];
  const segments: KeySegment[] = [];
  const checkpointKeys: Record<string, number> = {};
  for (const c of cps.valid) checkpointKeys[c.kid ?? "?"] = (checkpointKeys[c.kid ?? "?"] ?? 0) + 1;
  const track = (seq: number, key: string) => {
    const last = segments.at(-1);
    if (last?.key === key) Object.assign(last, { to: seq, events: last.events + 1 });
    else segments.push({ key, current: key === ring[0]?.kid, from: seq, to: seq, events: 1 });
  };

  // each lane's newest event so far
  const lanes = new Map<number, LanePosition>(opts.from ? lanesOf(opts.from).map((l) => [l.lane, l]) : []);
  let after = opts.from?.seq ?? 0;
  let keyedSeen = opts.from !== undefined && legacyHead !== undefined && (legacyHead?.seq ?? 0) < after;
  let checked = 0;
  let head: ChainCheck["head"];
  const fail = (problem: ChainProblem, brokenAt: number | undefined, detail: string): ChainCheck => ({
    ok: false,
    checked,
    brokenAt,
    problem,
    detail,
    head,
    checkpoints: cps.valid.length,
    segments,
    checkpointKeys,
    lanes: [...lanes.values()],
  });

  if (opts.from) {
    const start = (await db.auditEvent.findUnique({ where: { seq: opts.from.seq } })) as Row | null;
    if (!start) return fail("deleted", opts.from.seq, `the checkpointed event ${opts.from.seq} is gone`);
    if (start.hash !== opts.from.hash)
      return fail("recomputed", opts.from.seq, `event ${opts.from.seq} no longer has its checkpointed hash`);
    const alg = start.alg as ChainAlg;
    if (
      !(CHAIN_ALGS as readonly string[]).includes(alg) ||
      (alg === "sha256" ? plainHash(start) !== start.hash : !sealedBy(start, alg, ring))
    )
      return fail("edited", opts.from.seq, `event ${opts.from.seq} does not match its hash`);
  }
  for (;;) {
    const rows = (await db.auditEvent.findMany({
      where: { seq: { gt: after, lte: cut } },
      orderBy: { seq: "asc" },
      take: pageSize,
    })) as Row[];
    if (rows.length === 0) break;
    for (const r of rows) {
      if (!(CHAIN_ALGS as readonly string[]).includes(r.alg))
        return fail("edited", r.seq, `unknown algorithm ${r.alg}`);
      const alg = r.alg as ChainAlg;
      if (alg === "sha256") {
        // the unkeyed chain is lane 1's beginning: there were no other lanes then
        const legacyAllowed =
          r.lane === 1 && !keyedSeen && (legacyHead === undefined || (legacyHead !== null && r.seq <= legacyHead.seq));
        if (!legacyAllowed)
          return fail(
            "recomputed",
            r.seq,
            `event ${r.seq} is unkeyed where the chain is keyed (re-computed without the key)`,
          );
      } else {
        keyedSeen = true;
        if (!keys) return fail("key-missing", r.seq, "keyed events need AUDIT_CHAIN_KEY to be checked");
        if (r.keyId && !ring.some((k) => k.kid === r.keyId))
          return fail(
            "key-missing",
            r.seq,
            `event ${r.seq} was sealed with key ${r.keyId}, which is neither AUDIT_CHAIN_KEY nor in AUDIT_CHAIN_KEY_PREVIOUS`,
          );
      }
      const signer = alg === "sha256" ? undefined : sealedBy(r, alg, ring);
      if (alg === "sha256" ? plainHash(r) !== r.hash : !signer) {
        const plain = alg !== "sha256" && plainHash(r, alg) === r.hash;
        return plain
          ? fail("recomputed", r.seq, `event ${r.seq} carries a hash made without the chain's key`)
          : fail("edited", r.seq, `event ${r.seq} does not match its hash`);
      }
      if (r.prevHash !== (lanes.get(r.lane)?.hash ?? laneGenesis(r.lane)))
        return fail("deleted", r.seq, `event ${r.seq} follows an event that is missing (removed before it)`);
      const pin = pinned.get(r.seq);
      if (pin && pin.hash !== r.hash)
        return fail("recomputed", r.seq, `event ${r.seq} differs from the checkpoint of ${pin.at}`);
      if (legacyHead && r.seq === legacyHead.seq && legacyHead.hash !== r.hash)
        return fail("recomputed", r.seq, `the unkeyed chain's last event ${r.seq} differs from its checkpoint`);
      seen.add(r.seq);
      track(r.seq, signer?.kid ?? "unkeyed");
      lanes.set(r.lane, { lane: r.lane, seq: r.seq, hash: r.hash });
      after = r.seq;
      head = { seq: r.seq, hash: r.hash };
      checked++;
    }
  }
  const headSeq = head?.seq ?? opts.from?.seq ?? 0;
  for (const [seq, pin] of [...pinned].sort((a, b) => a[0] - b[0])) {
    if (seq <= (opts.from?.seq ?? 0) || seen.has(seq)) continue;
    const laneEnd = lanes.get(pin.lane)?.seq ?? 0;
    if (seq > Math.min(headSeq, laneEnd))
      return fail(
        "truncated",
        seq,
        `lane ${pin.lane} of the chain ends at ${laneEnd} but a checkpoint of ${pin.at} names event ${seq}: ` +
          `newer events were removed`,
      );
    return fail("deleted", seq, `the checkpointed event ${seq} is gone`);
  }
  for (const h of heads.values()) {
    const reached = lanes.get(h.lane);
    if (h.seq === 0 && !reached) continue;
    if (reached?.seq !== h.seq || reached.hash !== h.hash)
      return fail(
        (reached?.seq ?? 0) < h.seq ? "truncated" : "recomputed",
        h.seq,
        `lane ${h.lane}'s head names event ${h.seq}, but the lane ends at ${reached?.seq ?? "its start"}`,
      );
  }
  if (cps.invalid.length)
    return fail("checkpoint-invalid", undefined, `checkpoint lines ${cps.invalid.join(", ")} do not verify`);
  const byLane = [...lanes.values()].sort((a, b) => a.lane - b.lane);
  return { ok: true, checked, head, lanes: byLane, checkpoints: cps.valid.length, segments, checkpointKeys };
}

/** The key of the ring whose MAC the event carries: the one its keyId names, or any for an event without one. */
function sealedBy(r: Row, alg: ChainAlg, ring: ChainKey[]): ChainKey | undefined {
  return ring.filter((k) => !r.keyId || k.kid === r.keyId).find((k) => eventHash(r, alg, k) === r.hash);
}

export interface CheckpointResult {
  written?: Checkpoint;
  /** the chain did not verify since the last checkpoint: nothing is signed */
  problem?: ChainCheck;
}

/**
 * The checkpoint job: checks the events since the last checkpoint and signs the new head into the checkpoint file.
 * A chain that does not verify is never signed (the problem is returned for the log and the alert).
 */
export async function writeAuditCheckpoint(
  db: Tx,
  clock: Clock,
  opts: { file?: string; keys?: ChainKeys } = {},
): Promise<CheckpointResult> {
  const keys = opts.keys ?? currentChainKeys();
  const file = opts.file ?? getConfig().auditCheckpointFile;
  const last = readCheckpoints([file], keys).valid.at(-1);
  const check = await verifyAuditChain(db, {
    keys,
    checkpointFiles: [file],
    from: last ? { seq: last.seq, hash: last.hash, lanes: lanesOf(last) } : undefined,
  });
  if (!check.ok) return { problem: check };
  const head = check.head ?? (last ? undefined : null);
  if (!head) return {};
  const legacyHead = last ? last.legacyHead : await legacyHeadOf(db);
  const cp = newCheckpoint(head, check.lanes ?? [], legacyHead, keys, clock);
  appendCheckpoint(file, cp);
  return { written: cp };
}
