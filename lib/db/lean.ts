import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Tx } from "./client";
import {
  Prisma,
  type Certificate,
  type FeeTier,
  type OrgBatchItem,
  type RenewalOrder,
  type SandboxNotify,
  type SandboxTrade,
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
}

const leans = new WeakMap<object, Lean>();

/** The lean runner of `db` when it is a process client made by openDb, else undefined (a transaction's client). */
export function leanOf(db: object): Lean | undefined {
  return leans.get(db);
}

export function attachLean(client: object, lean: Lean): void {
  leans.set(client, lean);
}

/**
 * The rows of `sql` (parameters `$1`, `$2`…): through the lean runner when `db` is the process client, else Prisma's
 * raw query on `db` (a transaction's client runs it inside its transaction). One text serves both.
 */
export function sqlRows<T>(db: Tx, sql: string, values: readonly unknown[]): Promise<T[]> {
  const lean = leans.get(db);
  return lean ? lean.rows<T>(sql, values) : db.$queryRawUnsafe<T[]>(sql, ...values);
}

/**
 * The models whose rows the holder's requests read by a unique column on nearly every step, and the Alipay
 * emulator's trades and notifications (every demo payment).
 */
interface ModelRow {
  Certificate: Certificate;
  FeeTier: FeeTier;
  OrgBatchItem: OrgBatchItem;
  RenewalOrder: RenewalOrder;
  SandboxNotify: SandboxNotify;
  SandboxTrade: SandboxTrade;
}
const COLUMNS: Record<keyof ModelRow, string> = {
  Certificate: columnList(Prisma.CertificateScalarFieldEnum),
  FeeTier: columnList(Prisma.FeeTierScalarFieldEnum),
  OrgBatchItem: columnList(Prisma.OrgBatchItemScalarFieldEnum),
  RenewalOrder: columnList(Prisma.RenewalOrderScalarFieldEnum),
  SandboxNotify: columnList(Prisma.SandboxNotifyScalarFieldEnum),
  SandboxTrade: columnList(Prisma.SandboxTradeScalarFieldEnum),
};

/** The column list `selectRows` reads of `model`, for a statement's RETURNING. */
export function columnsOf(model: keyof ModelRow): string {
  return COLUMNS[model];
}

/** `SELECT <every column of model> FROM "<model>" ` and the rest: rows that are what Prisma's reads of it give. */
export function selectRows<M extends keyof ModelRow>(
  db: Tx,
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
  db: Tx,
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

const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP && format !== "binary"
      ? utcTimestamp
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/**
 * On PostgreSQL: the pool Prisma's adapter uses; with `name` (lib/db/client.ts statementNames) each text is a named
 * statement, parsed once per connection.
 */
export function pgLean(pool: pg.Pool, name?: (query: { sql: string }) => string): Lean {
  return {
    async rows<T>(sql: string, values: readonly unknown[]) {
      const text = { name: name?.({ sql }) || undefined, text: sql };
      const r = await pool.query({ ...text, values: values.map(param), types: pgTypes });
      return r.rows as T[];
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
  };
}

/** A uniqueRow the data model guarantees (a foreign key's target): its absence is a bug, not an answer. */
export async function rowOrThrow<T>(row: Promise<T | null>): Promise<T> {
  const found = await row;
  if (found === null) throw new Error("a row the data model guarantees is missing");
  return found;
}
