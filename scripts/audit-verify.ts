import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { verifyAuditChain } from "../lib/audit";
import { chainKeysFrom } from "../lib/audit/chain";
import { openDb } from "../lib/db/client";

/**
 * `npm run audit:verify`: checks a database's audit chain offline, against the chain's key and the signed
 * checkpoints kept outside the database, and says whether it is intact, edited, re-computed or truncated.
 *
 *   npm run audit:verify -- [--database URL | --pglite DIR] [--checkpoints FILE]... [--key-file FILE]
 *                           [--previous-key-file FILE]...
 *
 * Defaults: DATABASE_URL, else PGlite in DATA_DIR/pglite; AUDIT_CHECKPOINT_FILE or DATA_DIR/audit-checkpoints.jsonl;
 * the key from AUDIT_CHAIN_KEY, else DATA_DIR/secrets.json (demo mode), else a `--key-file` holding the hex key; the
 * keys of before a rotation from AUDIT_CHAIN_KEY_PREVIOUS (comma-separated) or `--previous-key-file`s. It prints
 * which key sealed each run of events (by key id) and signed the checkpoints.
 * Exit 0: intact; 1: a problem (printed); 2: usage or the database cannot be opened.
 */

const { values } = parseArgs({
  options: {
    database: { type: "string" },
    pglite: { type: "string" },
    checkpoints: { type: "string", multiple: true },
    "key-file": { type: "string" },
    "previous-key-file": { type: "string", multiple: true },
    json: { type: "boolean", default: false },
  },
});
const env = process.env;
const dataDir = path.resolve(env.DATA_DIR || ".data");

function keyHex(): string | undefined {
  if (values["key-file"]) return readFileSync(values["key-file"], "utf8").trim();
  if (env.AUDIT_CHAIN_KEY) return env.AUDIT_CHAIN_KEY;
  const secrets = path.join(dataDir, "secrets.json");
  if (existsSync(secrets)) return (JSON.parse(readFileSync(secrets, "utf8")) as Record<string, string>).AUDIT_CHAIN_KEY;
  return undefined;
}

const hex = keyHex();
if (hex !== undefined && !/^[0-9a-f]{64}$/i.test(hex)) {
  console.error("AUDIT_CHAIN_KEY is invalid: expected 64 hex characters");
  process.exit(2);
}
const previous = values["previous-key-file"]?.length
  ? values["previous-key-file"].map((f) => readFileSync(f, "utf8").trim()).join(",")
  : env.AUDIT_CHAIN_KEY_PREVIOUS || undefined;
if (previous !== undefined && !/^[0-9a-f]{64}(,[0-9a-f]{64})*$/i.test(previous)) {
  console.error("AUDIT_CHAIN_KEY_PREVIOUS is invalid: expected 64 hex characters per key, comma-separated");
  process.exit(2);
}
const keys = hex
  ? chainKeysFrom({
      AUDIT_CHAIN_KEY: hex,
      AUDIT_CHAIN_KEY_PREVIOUS: previous,
      CRYPTO_SUITE: "intl",
      SESSION_SECRET: "",
    })
  : env.SESSION_SECRET
    ? chainKeysFrom({ AUDIT_CHAIN_KEY: undefined, CRYPTO_SUITE: "intl", SESSION_SECRET: env.SESSION_SECRET })
    : null;
const url = values.database ?? (values.pglite ? undefined : env.DATABASE_URL || undefined);
const pgliteDir = path.resolve(values.pglite ?? path.join(dataDir, "pglite"));
if (!url && !existsSync(pgliteDir)) {
  console.error(`no database: ${pgliteDir} does not exist (give --database URL or --pglite DIR)`);
  process.exit(2);
}
const checkpointFiles = values.checkpoints?.length
  ? values.checkpoints.map((f) => path.resolve(f))
  : [path.resolve(env.AUDIT_CHECKPOINT_FILE || path.join(dataDir, "audit-checkpoints.jsonl"))];

let db;
try {
  db = await openDb({ url, pgliteDir, poolSize: 2 });
} catch (e) {
  console.error(`cannot open the database: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  process.exit(2);
}
try {
  const r = await verifyAuditChain(db.prisma, { keys, checkpointFiles });
  if (values.json) console.log(JSON.stringify(r));
  else if (r.ok)
    console.log(
      `audit chain intact: ${r.checked} events, head ${r.head?.seq ?? "-"}, ${r.checkpoints} signed checkpoint(s)` +
        (r.checkpoints ? "" : " (no checkpoint: a truncation cannot be seen)"),
    );
  else console.log(`audit chain ${r.problem}: ${r.detail} (checked ${r.checked} events)`);
  if (!values.json) {
    for (const g of r.segments ?? [])
      console.log(
        `  events ${g.from}–${g.to} (${g.events}): ${g.key === "unkeyed" ? "unkeyed SHA-256 chain" : `key ${g.key}${g.current ? " (AUDIT_CHAIN_KEY)" : " (previous key)"}`}`,
      );
    for (const [kid, n] of Object.entries(r.checkpointKeys ?? {}))
      console.log(`  ${n} checkpoint(s) signed with key ${kid}`);
  }
  process.exitCode = r.ok ? 0 : 1;
} finally {
  await db.close();
}
