import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Prisma, Session, SessionKind } from "../generated/prisma/client";
import type { Tx } from "../db";
import { insertRow, sqlRows, type RowData, type Sql } from "../db/lean";
import type { Clock } from "../clock";
import { HOUR, MINUTE } from "../clock";

/**
 * Database-backed sessions for holders and staff: the cookie holds a random token, the table keeps only
 * its SHA-256, so a database leak gives no usable session. Any portal instance can read any session.
 */

export const COOKIE = { holder: "cr_holder", staff: "cr_staff", org: "cr_org" } as const satisfies Record<
  SessionKind,
  string
>;
export const CSRF_HEADER = "x-csrf-token";

export const TIMEOUTS: Record<SessionKind, { idleMs: number; absoluteMs: number }> = {
  holder: { idleMs: 30 * MINUTE, absoluteMs: 4 * HOUR },
  staff: { idleMs: 30 * MINUTE, absoluteMs: 12 * HOUR },
  // 大客户专区 (bigclient): an organisation's console, signed in with its organisation certificate
  org: { idleMs: 30 * MINUTE, absoluteMs: 4 * HOUR },
};

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export interface NewSession {
  token: string;
  session: Session;
}

export async function createSession(
  tx: Sql,
  args: {
    kind: SessionKind;
    staffUserId?: string;
    certificateId?: string;
    ip?: string | null;
    userAgent?: string | null;
    data?: Prisma.InputJsonObject;
  },
  clock: Clock,
): Promise<NewSession> {
  const token = randomBytes(32).toString("base64url");
  const now = clock.now();
  const session = await insertRow(tx, "Session", {
    id: hashToken(token),
    kind: args.kind,
    staffUserId: args.staffUserId,
    certificateId: args.certificateId,
    csrfToken: randomBytes(24).toString("base64url"),
    ip: args.ip ?? null,
    userAgent: args.userAgent ?? null,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + TIMEOUTS[args.kind].absoluteMs),
    data: (args.data ?? {}) as RowData<"Session">["data"],
  });
  return { token, session };
}

const SESSION_BY_ID = `SELECT "id", "kind"::text AS "kind", "staffUserId", "certificateId", "csrfToken", "ip", "userAgent",
  "createdAt", "lastSeenAt", "expiresAt", "data" FROM "Session" WHERE "id" = $1`;

/** The live session for a cookie token, touched; null when unknown, idle too long or past its absolute end. */
export async function loadSession(
  tx: Tx,
  kind: SessionKind,
  token: string | undefined,
  clock: Clock,
): Promise<Session | null> {
  if (!token || token.length > 200) return null;
  // every request with a cookie runs it: lib/db/lean.ts
  const [session] = await sqlRows<Session>(tx, SESSION_BY_ID, [hashToken(token)]);
  if (!session || session.kind !== kind) return null;
  const now = clock.now().getTime();
  if (session.expiresAt.getTime() <= now || session.lastSeenAt.getTime() + TIMEOUTS[kind].idleMs <= now) {
    await sqlRows(tx, `DELETE FROM "Session" WHERE "id" = $1 RETURNING "id"`, [session.id]);
    return null;
  }
  // touching at most once a minute keeps reads cheap under load
  if (now - session.lastSeenAt.getTime() > MINUTE) {
    await sqlRows(tx, `UPDATE "Session" SET "lastSeenAt" = $2 WHERE "id" = $1 RETURNING "id"`, [
      session.id,
      new Date(now),
    ]);
  }
  return session;
}

export async function destroySession(tx: Tx, token: string | undefined): Promise<void> {
  if (token) await tx.session.deleteMany({ where: { id: hashToken(token) } });
}

export function csrfMatches(session: Pick<Session, "csrfToken">, header: string | null): boolean {
  if (!header) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}
