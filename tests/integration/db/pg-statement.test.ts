import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { canBeginWith, namedRows } from "@/lib/db/pg-statement";

const url = process.env.DATABASE_URL || undefined;
const parserOf = (oid: number, format: string) => pg.types.getTypeParser(oid, format as "text");

describe.runIf(url)("named statements that keep their row shape (PostgreSQL)", () => {
  let client: pg.Client;
  let describes = 0;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: url });
    await client.connect();
    // count what goes on the wire: a Describe is a question the server answers with the row's description
    const connection = (client as unknown as { connection: { describe(msg: unknown): void } }).connection;
    const describe = connection.describe.bind(connection);
    connection.describe = (msg) => {
      describes++;
      describe(msg);
    };
    await client.query(
      `CREATE TEMP TABLE t (id int PRIMARY KEY, name text, at timestamp, data jsonb, tags text[], n numeric, ok boolean)`,
    );
  });
  afterAll(() => client?.end());

  const SELECT = `SELECT id, name, at, data, tags, n, ok FROM t WHERE id = ANY($1::int[]) ORDER BY id`;

  test("rows are what node-postgres' own query gives, and the second run asks for no description", async () => {
    await client.query(`INSERT INTO t VALUES (1, 'a', '2026-12-05 10:00:00', '{"k":[1,2]}', '{x,"y z"}', 1.50, true),
      (2, NULL, NULL, NULL, NULL, NULL, NULL)`);
    const theirs = (await client.query({ text: SELECT, values: [[1, 2]] })).rows;
    const before = describes;
    const first = await namedRows(client, "s_select", SELECT, [[1, 2]], parserOf);
    expect(describes - before).toBe(1);
    const second = await namedRows(client, "s_select", SELECT, [[2, 1]], parserOf);
    expect(describes - before).toBe(1);
    expect(first).toEqual(theirs);
    expect(second).toEqual(theirs);
    expect(Object.keys(second[0]!)).toEqual(["id", "name", "at", "data", "tags", "n", "ok"]);
    expect(second[0]).toMatchObject({ data: { k: [1, 2] }, tags: ["x", "y z"], n: "1.50", ok: true });
    expect(await namedRows(client, "s_select", SELECT, [[3]], parserOf)).toEqual([]);
  });

  test("a statement without rows is remembered as such; an INSERT's RETURNING is read", async () => {
    const UPDATE = `UPDATE t SET name = $2 WHERE id = $1`;
    const before = describes;
    expect(await namedRows(client, "s_update", UPDATE, [1, "b"], parserOf)).toEqual([]);
    expect(await namedRows(client, "s_update", UPDATE, [2, "c"], parserOf)).toEqual([]);
    expect(describes - before).toBe(1);
    const INSERT = `INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id, name`;
    expect(await namedRows(client, "s_insert", INSERT, [10, "ten"], parserOf)).toEqual([{ id: 10, name: "ten" }]);
    expect(await namedRows(client, "s_insert", INSERT, [11, "eleven"], parserOf)).toEqual([{ id: 11, name: "eleven" }]);
    expect((await client.query(`SELECT name FROM t WHERE id IN (1, 2) ORDER BY id`)).rows).toEqual([
      { name: "b" },
      { name: "c" },
    ]);
  });

  test("a refused statement rejects with the server's error and the connection goes on", async () => {
    const INSERT = `INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id`;
    await namedRows(client, "s_insert2", INSERT, [20, "x"], parserOf);
    await expect(namedRows(client, "s_insert2", INSERT, [20, "again"], parserOf)).rejects.toMatchObject({
      code: "23505",
    });
    expect(await namedRows(client, "s_insert2", INSERT, [21, "y"], parserOf)).toEqual([{ id: 21 }]);
    // a text the server cannot parse: the name is not taken, and the right text can have it afterwards
    await expect(namedRows(client, "s_bad", `SELEC 1`, [], parserOf)).rejects.toMatchObject({ code: "42601" });
    expect(await namedRows(client, "s_bad", `SELECT 1 AS one`, [], parserOf)).toEqual([{ one: 1 }]);
  });

  test("a value that cannot be sent rejects before the server runs anything, and the connection goes on", async () => {
    const loop: { toPostgres?: () => unknown } = {};
    loop.toPostgres = () => loop;
    const INSERT = `INSERT INTO t (id, name) VALUES ($1, $2)`;
    await expect(namedRows(client, "s_insert3", INSERT, [30, loop], parserOf)).rejects.toThrow(/circular/);
    expect((await client.query(`SELECT count(*)::int AS n FROM t WHERE id = 30`)).rows).toEqual([{ n: 0 }]);
    await namedRows(client, "s_insert3", INSERT, [30, "fine"], parserOf);
    expect((await client.query(`SELECT name FROM t WHERE id = 30`)).rows).toEqual([{ name: "fine" }]);
  });

  test("BEGIN sent with a parsed statement opens the transaction it runs in", async () => {
    const INSERT = `INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id`;
    expect(canBeginWith(client, "s_begin", INSERT)).toBe(false);
    await namedRows(client, "s_begin", INSERT, [40, "a"], parserOf);
    expect(canBeginWith(client, "s_begin", INSERT)).toBe(true);
    expect(canBeginWith(client, "s_begin", `${INSERT} `)).toBe(false);

    expect(await namedRows(client, "s_begin", INSERT, [41, "b"], parserOf, true)).toEqual([{ id: 41 }]);
    expect((await client.query(`SELECT count(*)::int AS n FROM t WHERE id = 41`)).rows).toEqual([{ n: 1 }]);
    await client.query("ROLLBACK");
    expect((await client.query(`SELECT count(*)::int AS n FROM t WHERE id = 41`)).rows).toEqual([{ n: 0 }]);

    // the statement refused: the transaction BEGIN opened is aborted, and ROLLBACK ends it
    await expect(namedRows(client, "s_begin", INSERT, [40, "again"], parserOf, true)).rejects.toMatchObject({
      code: "23505",
    });
    await expect(client.query(`SELECT 1`)).rejects.toMatchObject({ code: "25P02" });
    await client.query("ROLLBACK");
    expect((await client.query(`SELECT 1 AS one`)).rows).toEqual([{ one: 1 }]);
  });

  test("one name for two texts is refused", async () => {
    await namedRows(client, "s_one", `SELECT 1 AS a`, [], parserOf);
    await expect(namedRows(client, "s_one", `SELECT 2 AS a`, [], parserOf)).rejects.toThrow(/unique/);
  });

  test("through a pool: each connection asks for the description once", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    let poolDescribes = 0;
    pool.on("connect", (c) => {
      const connection = (c as unknown as { connection: { describe(msg: unknown): void } }).connection;
      const describe = connection.describe.bind(connection);
      connection.describe = (msg) => {
        poolDescribes++;
        describe(msg);
      };
    });
    try {
      const got = await Promise.all(
        Array.from({ length: 6 }, (_, i) => namedRows(pool, "s_pool", `SELECT $1::int + 1 AS n`, [i], parserOf)),
      );
      expect(got).toEqual(Array.from({ length: 6 }, (_, i) => [{ n: i + 1 }]));
      expect(pool.totalCount).toBe(2);
      expect(poolDescribes).toBe(2);
    } finally {
      await pool.end();
    }
  });
});
