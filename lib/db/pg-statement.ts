import type pg from "pg";
import { prepareValue } from "pg/lib/utils.js";

/**
 * A named statement as node-postgres runs a submittable (`client.query(statement)`): the driver hands it the
 * connection to write on and every message of the answer.
 *
 * What it does that node-postgres' own Query does not: the row shape. Node-postgres asks the server to describe the
 * result on every execution, and builds each row by copying a dictionary-mode object of the column names: ~6 % of a
 * saturated portal's CPU (bench/README.md, twenty-first session). Here the first execution on a connection asks for
 * the description and keeps the names and type parsers; later ones send Bind, Execute and Sync only, and rows are
 * built as plain objects in column order, each the same shape.
 *
 * A statement's shape is kept per connection and name, and trusted only while the server has the statement parsed on
 * that connection: its text is part of its name (lib/db/client.ts statementNames), so the columns cannot change
 * under it; a schema change that would change them makes the server refuse the cached plan, an error like any other.
 */
type ParserOf = (oid: number, format: string) => (text: string) => unknown;

interface Shape {
  names: string[];
  parsers: ((text: string) => unknown)[];
}

interface RowDescription {
  fields: { name: string; dataTypeID: number; format: string }[];
}

/** The parts of pg's Connection a statement uses, with the bookkeeping of statements parsed on it. */
interface Wire {
  stream: { cork?(): void; uncork?(): void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(msg: { text: string; name: string; types: number[] }): void;
  bind(msg: { statement: string; values: readonly unknown[]; valueMapper: (v: unknown) => unknown }): void;
  describe(msg: { type: "P"; name: string }): void;
  execute(msg: { portal: string }): void;
  sync(): void;
}

const shapesOf = new WeakMap<object, Map<string, Shape>>();
const NO_ROWS: Shape = { names: [], parsers: [] };

class NamedStatement<T> {
  callback?: (err: Error | null, rows?: T[]) => void;
  private readonly rows: T[] = [];
  private shape: Shape | undefined;
  private described: Shape | undefined;
  private broken: unknown;
  private shapes: Map<string, Shape> | undefined;

  constructor(
    readonly name: string,
    readonly text: string,
    private readonly values: readonly unknown[],
    private readonly parserOf: ParserOf,
    private readonly begin: boolean,
  ) {}

  submit(connection: Wire): Error | undefined {
    const parsed = connection.parsedStatements[this.name];
    const pending = parsed ?? connection.submittedNamedStatements[this.name];
    if (pending !== undefined && pending !== this.text)
      return new Error(`Prepared statements must be unique - '${this.name}' was used for a different statement`);
    let shapes = shapesOf.get(connection);
    if (!shapes) shapesOf.set(connection, (shapes = new Map()));
    this.shapes = shapes;
    this.shape = parsed === this.text ? shapes.get(this.name) : undefined;
    // one write for the whole exchange, as node-postgres does
    connection.stream.cork?.();
    try {
      if (this.begin) {
        // BEGIN in the same exchange, as the unnamed statement: no Sync between, so one round trip opens the
        // transaction and runs the first statement (an error in either leaves the transaction to be rolled back)
        connection.parse({ text: "BEGIN", name: "", types: [] });
        connection.bind({ statement: "", values: [], valueMapper: prepareValue });
        connection.execute({ portal: "" });
      }
      if (pending === undefined) {
        connection.parse({ text: this.text, name: this.name, types: [] });
        connection.submittedNamedStatements[this.name] = this.text;
      }
      connection.bind({ statement: this.name, values: this.values, valueMapper: prepareValue });
      if (!this.shape) connection.describe({ type: "P", name: "" });
      connection.execute({ portal: "" });
      connection.sync();
    } catch (e) {
      // a value that cannot be sent (prepareValue throws): nothing of the statement past its Parse was written, and
      // Sync ends the exchange (after a BEGIN sent with it, the caller's ROLLBACK ends the transaction)
      connection.sync();
      this.broken ??= e;
    } finally {
      connection.stream.uncork?.();
    }
    return undefined;
  }

  handleRowDescription(msg: RowDescription): void {
    this.described = {
      names: msg.fields.map((f) => f.name),
      parsers: msg.fields.map((f) => this.parserOf(f.dataTypeID, f.format)),
    };
    this.shape = this.described;
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    if (this.broken !== undefined) return;
    const shape = this.shape;
    try {
      if (!shape) throw new Error(`a row of statement ${this.name} came before its description`);
      const row: Record<string, unknown> = {};
      const { names, parsers } = shape;
      const fields = msg.fields;
      for (let i = 0; i < names.length; i++) {
        const v = fields[i];
        row[names[i]!] = v === null || v === undefined ? null : parsers[i]!(v);
      }
      this.rows.push(row as T);
    } catch (e) {
      this.broken = e;
    }
  }

  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  handleError(err: Error): void {
    const e = this.broken ?? err;
    this.broken = undefined;
    this.callback?.(e instanceof Error ? e : new Error(String(e)));
  }

  handleReadyForQuery(): void {
    if (this.broken !== undefined) return this.handleError(this.broken as Error);
    // a statement that returns no rows is described as NoData: remembered as no columns
    this.shapes?.set(this.name, this.described ?? this.shape ?? NO_ROWS);
    this.callback?.(null, this.rows);
  }
}

/**
 * Whether `name` is parsed on the held `client` with this text: then `namedRows` can send BEGIN with it. (Node-
 * postgres marks the statement of the exchange as parsed on every ParseComplete it gets, so BEGIN's parse must not
 * share an exchange with the statement's own.)
 */
export function canBeginWith(client: pg.ClientBase, name: string, text: string): boolean {
  const connection = (client as unknown as { connection?: Partial<Wire> }).connection;
  return connection?.parsedStatements?.[name] === text;
}

/**
 * The rows of the named statement `name` (its text `text`) on `client`, a connection of the pool or one held;
 * with `begin` (a held connection, canBeginWith), a BEGIN goes first in the same round trip.
 */
export function namedRows<T>(
  client: pg.ClientBase | pg.Pool,
  name: string,
  text: string,
  values: readonly unknown[],
  parserOf: ParserOf,
  begin = false,
): Promise<T[]> {
  const statement = new NamedStatement<T>(name, text, values, parserOf, begin);
  if ("totalCount" in client)
    // the pool lends a connection, sets the callback and takes the connection back when it is called
    return (client as unknown as { query(s: NamedStatement<T>): Promise<T[]> }).query(statement);
  return new Promise<T[]>((resolve, reject) => {
    statement.callback = (err, rows) => (err ? reject(err) : resolve(rows!));
    (client as unknown as { query(s: NamedStatement<T>): void }).query(statement);
  });
}
