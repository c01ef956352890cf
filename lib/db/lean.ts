import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Db, Tx } from "./client";
import { canBeginWith, namedRows } from "./pg-statement";
import {
  Prisma,
  type Certificate,
  type FeeTier,
  type MailOutbox,
  type OrgBatchItem,
  type PaymentEvent,
  type Refund,
  type RenewalOrder,
  type SandboxNotify,
  type SandboxTrade,
  type Session,
  type SmsOutbox,
} from "../generated/prisma/client";

/**
 * The statements nearly every holder request runs (its session, idempotency record and rate-limit count, the order
 * and certificate rows, the challenge, the captcha, the fee tier) as plain SQL, without Prisma's query interpreter:
 * measured on one connection, a Prisma `findUnique` of a session cost ~130 µs of CPU, `$queryRaw` of the same SQL
 * ~75 µs, node-postgres with a named statement ~22 µs (bench/README.md, seventeenth session).
 *
 * On the process client that openDb made (`leanOf`) a statement goes straight to the driver: the pool Prisma's
 * adapter uses, or the one PGlite instance. Given an interactive transaction's client it must run on that
 * transaction's connection, so it goes through Prisma's raw query there (`sqlRows`). Rows come back as objects keyed
 * by column name with the values Prisma gives: `timestamp` columns (Prisma's DateTime, stored as UTC) as Dates read
 * as UTC whatever `TZ` is, json columns parsed. Date parameters are sent as UTC text for the same reason.
 */
export interface Lean {
  rows<T>(sql: string, values: readonly unknown[]): Promise<T[]>;
  /** `fn` in a transaction on one connection, given the transaction as a SqlTx its statements run on (sqlRows). */
  transaction<T>(fn: (tx: SqlTx) => Promise<T>, options: LeanTxOptions): Promise<T>;
}

declare const sqlOnly: unique symbol;

/**
 * A transaction of plain SQL (lib/audit withSqlTx), run on the driver without Prisma's interactive-transaction
 * machinery: its statements go through sqlRows and the helpers on it (selectRows, uniqueRow, insertRow…). Prisma's
 * model calls are not on it, so the compiler keeps them out.
 */
export interface SqlTx {
  readonly [sqlOnly]: true;
}

/** Where a statement runs: the process client, a Prisma transaction's client, or a plain-SQL transaction. */
export type Sql = Tx | SqlTx;

/** As Prisma's transaction options: how long to wait for a connection, how long the whole may take, its isolation. */
export interface LeanTxOptions {
  maxWait: number;
  timeout: number;
  isolationLevel?: "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";
}

const ISOLATION: Record<NonNullable<LeanTxOptions["isolationLevel"]>, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

/**
 * Thrown by prismaTx in a plain-SQL transaction: this work needs Prisma's model calls after all (a rare branch: an
 * orphaned certificate to revoke, a dual certificate pair). Throw it before writing anything; lib/audit
 * withSqlTxOrPrisma then rolls back and runs the same work in a Prisma transaction.
 */
export class PrismaTxNeeded extends Error {
  constructor() {
    super("this transaction's work needs Prisma's model calls (lib/audit withSqlTxOrPrisma runs it again in one)");
    this.name = "PrismaTxNeeded";
  }
}

/** `tx` as Prisma's client when it is one (the process client, or a Prisma transaction's); else PrismaTxNeeded. */
export function prismaTx(tx: Sql): Tx {
  if (typeof (tx as Partial<Tx>).$queryRawUnsafe === "function") return tx as Tx;
  throw new PrismaTxNeeded();
}

/**
 * A transaction that could not begin or outlived its time: nothing was written (the route answers 503, to retry;
 * lib/errors isDbUnavailable knows these codes).
 */
export class LeanTxError extends Error {
  constructor(
    readonly code: "TX_WAIT" | "TX_EXPIRED",
    ms: number,
  ) {
    super(
      code === "TX_WAIT"
        ? `Unable to start a transaction in the given time (${ms} ms)`
        : `Transaction already closed: it ran longer than ${ms} ms and was rolled back`,
    );
    this.name = "LeanTxError";
  }
}

/**
 * The lean runners by client, on globalThis: the portal loads this module more than once (Next's server bundle, and
 * the node:http front's own import of lib/), and the client openDb made in one must be known to all of them.
 */
const g = globalThis as unknown as { __certrenewLeans?: WeakMap<object, Lean> };
const leans = (g.__certrenewLeans ??= new WeakMap<object, Lean>());

/** The lean runner of `db` when it is a process client made by openDb, else undefined (a transaction's client). */
export function leanOf(db: object): Lean | undefined {
  return leans.get(db);
}

export function attachLean(client: object, lean: Lean): void {
  leans.set(client, lean);
}

/**
 * The rows of `sql` (parameters `$1`, `$2`…): through the lean runner when `db` is the process client or a plain-SQL
 * transaction (SqlTx), else Prisma's raw query on `db` (a Prisma transaction's client runs it inside its
 * transaction). One text serves both.
 */
export function sqlRows<T>(db: Sql, sql: string, values: readonly unknown[]): Promise<T[]> {
  const lean = leans.get(db);
  // a SqlTx not in the map is a Prisma transaction's client (withSqlTx on a client openDb did not make)
  return lean ? lean.rows<T>(sql, values) : (db as Tx).$queryRawUnsafe<T[]>(sql, ...values);
}

/**
 * `fn` in a plain-SQL transaction on `db`'s own driver (a pooled PostgreSQL connection, or PGlite's one instance),
 * or, on a client openDb did not make, in a Prisma interactive transaction whose client stands in for the SqlTx.
 * Either way it commits when `fn` resolves and rolls back when it throws.
 */
export function sqlTransaction<T>(db: Db, fn: (tx: SqlTx) => Promise<T>, options: LeanTxOptions): Promise<T> {
  const lean = leans.get(db);
  if (lean) return lean.transaction(fn, options);
  return db.$transaction((tx) => fn(tx as unknown as SqlTx), options);
}

/**
 * Runs one transaction's statements on `run` within `options.timeout`: the SqlTx handed to `fn` is registered as a
 * lean runner of its own; after the timeout every statement on it throws TX_EXPIRED, and so does the end. Once the
 * transaction is over, a statement still sent on it (work left running) throws instead of reaching the connection,
 * which is back in the pool.
 */
async function inTransaction<T>(
  run: (sql: string, values: readonly unknown[]) => Promise<unknown[]>,
  fn: (tx: SqlTx) => Promise<T>,
  options: LeanTxOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeout;
  const check = () => {
    if (Date.now() > deadline) throw new LeanTxError("TX_EXPIRED", options.timeout);
  };
  let over = false;
  const tx = {} as SqlTx;
  leans.set(tx, {
    async rows<R>(sql: string, values: readonly unknown[]) {
      if (over) throw new Error("Transaction already closed: a statement was sent after its end");
      check();
      return (await run(sql, values)) as R[];
    },
    transaction: () => Promise.reject(new Error("a plain-SQL transaction does not nest")),
  });
  try {
    if (options.isolationLevel) await run(`SET TRANSACTION ISOLATION LEVEL ${ISOLATION[options.isolationLevel]}`, []);
    const result = await fn(tx);
    check();
    return result;
  } finally {
    over = true;
  }
}

/** Rejects with TX_WAIT when `p` (a connection, a lock) has not come within `ms`; `late` receives it if it comes. */
function withinWait<T>(p: Promise<T>, ms: number, late: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let waited = false;
    const timer = setTimeout(() => {
      waited = true;
      reject(new LeanTxError("TX_WAIT", ms));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (waited) late(v);
        else resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * The models whose rows the holder's requests read by a unique column on nearly every step or write in their
 * transactions (the order, its mail and payment events, the new certificate, the session), and the Alipay
 * emulator's trades and notifications (every demo payment).
 */
export interface ModelRow {
  Certificate: Certificate;
  FeeTier: FeeTier;
  MailOutbox: MailOutbox;
  OrgBatchItem: OrgBatchItem;
  PaymentEvent: PaymentEvent;
  Refund: Refund;
  RenewalOrder: RenewalOrder;
  SandboxNotify: SandboxNotify;
  SandboxTrade: SandboxTrade;
  Session: Session;
  SmsOutbox: SmsOutbox;
}
const COLUMNS: Record<keyof ModelRow, string> = {
  Certificate: columnList(Prisma.CertificateScalarFieldEnum),
  FeeTier: columnList(Prisma.FeeTierScalarFieldEnum),
  MailOutbox: columnList(Prisma.MailOutboxScalarFieldEnum),
  OrgBatchItem: columnList(Prisma.OrgBatchItemScalarFieldEnum),
  PaymentEvent: columnList(Prisma.PaymentEventScalarFieldEnum),
  Refund: columnList(Prisma.RefundScalarFieldEnum),
  RenewalOrder: columnList(Prisma.RenewalOrderScalarFieldEnum),
  SandboxNotify: columnList(Prisma.SandboxNotifyScalarFieldEnum),
  SandboxTrade: columnList(Prisma.SandboxTradeScalarFieldEnum),
  Session: columnList(Prisma.SessionScalarFieldEnum),
  SmsOutbox: columnList(Prisma.SmsOutboxScalarFieldEnum),
};

/**
 * The columns whose parameter a write must type: enums (by their type's name; Prisma's raw query sends text as
 * text) and json (`jsonb`: the value is sent as JSON text). tests/integration/db/lean-tx.test.ts checks this against
 * the database's own catalogue.
 */
export const TYPED_COLUMNS: { [M in keyof ModelRow]: Partial<Record<keyof ModelRow[M] & string, string>> } = {
  Certificate: { certType: '"CertType"', payerClass: '"PayerClass"', status: '"CertStatus"', usage: '"CertUsage"' },
  FeeTier: { certType: '"CertType"', payerClass: '"PayerClass"' },
  MailOutbox: { data: "jsonb", state: '"MailState"' },
  OrgBatchItem: { state: '"OrgItemState"' },
  PaymentEvent: { raw: "jsonb" },
  Refund: { state: '"RefundState"' },
  RenewalOrder: { state: '"OrderState"', certType: '"CertType"', payerClass: '"PayerClass"' },
  SandboxNotify: { params: "jsonb" },
  SandboxTrade: { refunds: "jsonb", faults: "jsonb" },
  Session: { kind: '"SessionKind"', data: "jsonb" },
  SmsOutbox: { params: "jsonb" },
};

/** The columns of a row to write: a row's scalar fields, any subset (undefined ones are left out). */
export type RowData<M extends keyof ModelRow> = Partial<ModelRow[M]>;

/** `$n` for `column` of `model`, typed when it must be, and the value it is sent with. */
function placed(model: keyof ModelRow, column: string, value: unknown, n: number): { sql: string; value: unknown } {
  const type = (TYPED_COLUMNS[model] as Record<string, string | undefined>)[column];
  if (!type) return { sql: `$${n}`, value };
  if (type === "jsonb") return { sql: `$${n}::jsonb`, value: value === null ? null : JSON.stringify(value) };
  return { sql: `$${n}::${type}`, value };
}

function written(data: object): [string, unknown][] {
  return Object.entries(data).filter(([, v]) => v !== undefined);
}

/**
 * INSERT of one row of `model` with the columns `data` gives (the others take the table's defaults: give `id`,
 * `createdAt` and `updatedAt`, which Prisma's client, not the table, fills in), RETURNING the row as Prisma reads it.
 */
export async function insertRow<M extends keyof ModelRow>(db: Sql, model: M, data: RowData<M>): Promise<ModelRow[M]> {
  const cols = written(data);
  const params = cols.map(([c, v], i) => placed(model, c, v, i + 1));
  const [row] = await sqlRows<ModelRow[M]>(
    db,
    `INSERT INTO "${model}" (${cols.map(([c]) => `"${c}"`).join(", ")}) VALUES (${params.map((p) => p.sql).join(", ")}) ` +
      `RETURNING ${COLUMNS[model]}`,
    params.map((p) => p.value),
  );
  return row!;
}

/**
 * `UPDATE "<model>" SET <the columns set gives>[, <also>] <where>` (where's parameters are `$1`… in `values`, set's
 * follow them), RETURNING every changed row as Prisma reads it. `also` is SQL of the SET list the caller writes
 * itself, e.g. `"version" = "version" + 1`.
 */
export function updateRows<M extends keyof ModelRow>(
  db: Sql,
  model: M,
  set: RowData<M>,
  where: { sql: string; values: readonly unknown[]; also?: string },
): Promise<ModelRow[M][]> {
  const cols = written(set);
  const params = cols.map(([c, v], i) => placed(model, c, v, where.values.length + i + 1));
  const assignments = cols.map(([c], i) => `"${c}" = ${params[i]!.sql}`);
  if (where.also) assignments.push(where.also);
  return sqlRows<ModelRow[M]>(
    db,
    `UPDATE "${model}" SET ${assignments.join(", ")} ${where.sql} RETURNING ${COLUMNS[model]}`,
    [...where.values, ...params.map((p) => p.value)],
  );
}

/** updateRows of the one row whose `id` is `id`: the row as written, or null when there is none. */
export async function updateById<M extends "Certificate" | "OrgBatchItem" | "RenewalOrder">(
  db: Sql,
  model: M,
  id: string,
  set: RowData<M>,
): Promise<ModelRow[M] | null> {
  const [row] = await updateRows(db, model, set, { sql: `WHERE "id" = $1`, values: [id] });
  return row ?? null;
}

/** The column list `selectRows` reads of `model`, for a statement's RETURNING. */
export function columnsOf(model: keyof ModelRow): string {
  return COLUMNS[model];
}

/** `SELECT <every column of model> FROM "<model>" ` and the rest: rows that are what Prisma's reads of it give. */
export function selectRows<M extends keyof ModelRow>(
  db: Sql,
  model: M,
  rest: string,
  values: readonly unknown[],
): Promise<ModelRow[M][]> {
  return sqlRows<ModelRow[M]>(db, `SELECT ${COLUMNS[model]} FROM "${model}" ${rest}`, values);
}

function columnList(fields: Record<string, string>): string {
  // the schema maps no field to another column name (no @map), so Prisma's field list is the column list
  return Object.values(fields)
    .map((f) => `"${f}"`)
    .join(", ");
}

/**
 * The row of `model` whose unique `column` is `value`, or null: every scalar column, the values `findUnique` gives
 * (tests/integration/db/lean.test.ts compares them), through `sqlRows`.
 */
export async function uniqueRow<M extends keyof ModelRow>(
  db: Sql,
  model: M,
  column: keyof ModelRow[M] & string,
  value: string,
): Promise<ModelRow[M] | null> {
  const [row] = await selectRows(db, model, `WHERE "${column}" = $1`, [value]);
  return row ?? null;
}

const TIMESTAMP = 1114;

/** `2026-12-05 11:26:13.205` (PostgreSQL's ISO output of a timestamp without time zone) as the UTC instant it is. */
export function utcTimestamp(text: string): Date {
  return new Date(`${text.replace(" ", "T")}Z`);
}

function param(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

const parserOf = (oid: number, format?: string): ((text: string) => unknown) =>
  oid === TIMESTAMP && format !== "binary" ? utcTimestamp : pg.types.getTypeParser(oid, format as "text");
const pgTypes = { getTypeParser: parserOf as typeof pg.types.getTypeParser };

/**
 * On PostgreSQL: the pool Prisma's adapter uses; with `name` (lib/db/client.ts statementNames) each text is a named
 * statement, parsed once per connection.
 */
export function pgLean(pool: pg.Pool, name?: (query: { sql: string }) => string): Lean {
  // a named statement keeps its row shape per connection (lib/db/pg-statement.ts); past the cap, unnamed as before
  const run = async <T>(on: pg.Pool | pg.PoolClient, sql: string, values: readonly unknown[]): Promise<T[]> => {
    const named = name?.({ sql });
    if (named) return namedRows<T>(on, named, sql, values.map(param), parserOf);
    return (await on.query({ text: sql, values: values.map(param), types: pgTypes })).rows as T[];
  };
  return {
    rows<T>(sql: string, values: readonly unknown[]) {
      return run<T>(pool, sql, values);
    },
    async transaction(fn, options) {
      const client = await withinWait(pool.connect(), options.maxWait, (late) => late.release());
      let broken: Error | undefined;
      // the server may end the connection while it is lent to us and idle (a restart, an administrator): the client
      // then emits "error", which unheard would end the process; the next statement fails and the pool drops it
      const lost = (err: Error) => (broken = err);
      client.on("error", lost);
      // BEGIN goes with the first statement when that one is parsed on this connection already (one round trip
      // less); a transaction that sent no statement has nothing to commit or roll back
      let begun = false;
      const first = async <R>(sql: string, values: readonly unknown[]): Promise<R[]> => {
        if (begun) return run<R>(client, sql, values);
        begun = true;
        const named = name?.({ sql });
        if (named && canBeginWith(client, named, sql))
          return namedRows<R>(client, named, sql, values.map(param), parserOf, true);
        await client.query("BEGIN");
        return run<R>(client, sql, values);
      };
      try {
        const result = await inTransaction(first, fn, options);
        if (begun) await client.query("COMMIT");
        return result;
      } catch (e) {
        if (begun) await client.query("ROLLBACK").catch((err: Error) => (broken = err));
        throw e;
      } finally {
        // a connection lost, or whose ROLLBACK failed, is in an unknown state: the pool closes it instead of lending it
        client.off("error", lost);
        client.release(broken);
      }
    },
  };
}

/** On PGlite: the one instance (its queries wait for an open transaction to end, as Prisma's do). */
export function pgliteLean(db: PGlite): Lean {
  const parsers = { [TIMESTAMP]: utcTimestamp };
  return {
    async rows<T>(sql: string, values: readonly unknown[]) {
      return (await db.query<T>(sql, values.map(param), { parsers })).rows;
    },
    transaction(fn, options) {
      // PGlite runs one transaction at a time: the wait for its turn is the wait for a connection
      let begun = false;
      let gaveUp = false;
      const done = db.transaction(async (t) => {
        if (gaveUp) throw new LeanTxError("TX_WAIT", options.maxWait);
        begun = true;
        const run = async (sql: string, values: readonly unknown[]) =>
          (await t.query(sql, values.map(param), { parsers })).rows;
        return inTransaction(run, fn, options);
      });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          if (begun) return;
          gaveUp = true;
          reject(new LeanTxError("TX_WAIT", options.maxWait));
        }, options.maxWait);
        done.then(
          (v) => (clearTimeout(timer), resolve(v)),
          (e: unknown) => (clearTimeout(timer), reject(e)),
        );
      });
    },
  };
}

/**
 * A unique constraint refused the write: Prisma's P2002 from a model call, or SQLSTATE 23505 from the driver
 * (node-postgres, PGlite) or under Prisma's raw-query error.
 */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const o = e as { code?: unknown; meta?: { code?: unknown }; cause?: { code?: unknown } };
  return o.code === "P2002" || o.code === "23505" || o.meta?.code === "23505" || o.cause?.code === "23505";
}

/** A uniqueRow the data model guarantees (a foreign key's target): its absence is a bug, not an answer. */
export async function rowOrThrow<T>(row: Promise<T | null>): Promise<T> {
  const found = await row;
  if (found === null) throw new Error("a row the data model guarantees is missing");
  return found;
}
