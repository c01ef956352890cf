import { createHash } from "node:crypto";
import type { Db } from "../db";
import { DomainError } from "../errors";
import { Prisma } from "../generated/prisma/client";

export const IDEMPOTENCY_HEADER = "idempotency-key";
const PENDING = 0;

export interface StoredResponse {
  status: number;
  body: unknown;
}

function isUniqueViolation(e: unknown): boolean {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002";
}

/**
 * Runs `fn` once per key: a repeat with the same key and body gets the first response back, a repeat with
 * another body is refused. Concurrent repeats wait for the first to finish. Errors are not remembered, so a
 * failed request can be retried with the same key.
 */
export async function withIdempotency(
  db: Db,
  key: string,
  requestBody: unknown,
  fn: () => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const requestHash = createHash("sha256")
    .update(JSON.stringify(requestBody ?? null))
    .digest("hex");
  try {
    await db.idempotencyKey.create({ data: { key, requestHash, status: PENDING, response: {} } });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    return replay(db, key, requestHash);
  }
  try {
    const result = await fn();
    await db.idempotencyKey.update({
      where: { key },
      data: {
        status: result.status,
        response: JSON.parse(JSON.stringify(result.body ?? null)) as Prisma.InputJsonValue,
      },
    });
    return result;
  } catch (e) {
    await db.idempotencyKey.deleteMany({ where: { key, status: PENDING } });
    throw e;
  }
}

async function replay(db: Db, key: string, requestHash: string): Promise<StoredResponse> {
  for (let i = 0; i < 100; i++) {
    const row = await db.idempotencyKey.findUnique({ where: { key } });
    if (!row) throw new DomainError("CONFLICT");
    if (row.requestHash !== requestHash) throw new DomainError("IDEMPOTENCY_MISMATCH");
    if (row.status !== PENDING) return { status: row.status, body: row.response };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DomainError("CONFLICT");
}
