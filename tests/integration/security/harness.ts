import { getConfig, resetConfig } from "@/lib/config";
import { setProcessDb, type Db, type OpenDb } from "@/lib/db";
import { resetCa, type Ca } from "@/lib/pki/ca";
import { PEER_HEADER } from "@/lib/http/request";
import { CSRF_HEADER } from "@/lib/session";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";
import { seedFeeTiers } from "@/tests/integration/renew/fixture";

/**
 * The security tests' portal: a test database and CA, route handlers called as Next calls them, and requests that
 * arrive as through the portal's front (the peer address in PEER_HEADER, as scripts/portal-server.ts sets it).
 */
export interface SecurityWorld {
  db: Db;
  ca: Ca;
  origin: string;
  close(): Promise<void>;
}

export async function securityWorld(env: Record<string, string> = {}): Promise<SecurityWorld> {
  Object.assign(process.env, { TEST_CAPTCHA_BYPASS: "1", ...env });
  resetConfig();
  const { ca } = await createTestCa();
  resetCa();
  const opened: OpenDb = await createTestDb();
  setProcessDb(opened);
  const db = opened.prisma as Db;
  await seedFeeTiers(db);
  return {
    db,
    ca,
    origin: getConfig().publicOrigin,
    async close() {
      delete process.env.TEST_CAPTCHA_BYPASS;
      for (const k of Object.keys(env)) delete process.env[k];
      resetConfig();
      await opened.close();
    },
  };
}

export interface Caller {
  ip: string;
  cookie?: string;
  csrf?: string;
  headers?: Record<string, string>;
}

/** A request as the front hands it to Next: `ip` is the socket's address. */
export function call(origin: string, path: string, who: Caller, body?: unknown, method?: string): Request {
  return new Request(`${origin}${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    headers: {
      origin,
      "content-type": "application/json",
      [PEER_HEADER]: who.ip,
      "idempotency-key": crypto.randomUUID(),
      ...(who.cookie ? { cookie: who.cookie } : {}),
      ...(who.csrf ? { [CSRF_HEADER]: who.csrf } : {}),
      ...who.headers,
    },
  });
}

export async function codeOf(res: Response): Promise<string> {
  if (res.status < 300) return "ok";
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error: { code: string } }).error.code;
  } catch {
    return `${res.status}`;
  }
}
