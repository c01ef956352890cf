import { getConfig } from "@/lib/config";
import type { Db } from "@/lib/db";
import { systemClock } from "@/lib/clock";
import type { StaffRole } from "@/lib/generated/prisma/client";
import { signIn } from "@/lib/staff/auth";
import { createStaffUser } from "@/lib/staff/users";
import { COOKIE, CSRF_HEADER } from "@/lib/session";

const PASSWORD = "Correct-Horse-42!";

/** One signed-in staff member per role (usernames `<prefix>-<role>`): each session's cookie token and CSRF token. */
export async function staffSessions(
  db: Db,
  prefix: string,
  roles: readonly StaffRole[],
): Promise<Record<string, { token: string; csrf: string }>> {
  const sessions: Record<string, { token: string; csrf: string }> = {};
  for (const role of roles) {
    const username = `${prefix}-${role}`;
    await createStaffUser(db, { username, password: PASSWORD, role }, { type: "system", id: "test" }, systemClock);
    const s = await signIn(db, getConfig(), { username, password: PASSWORD }, systemClock);
    sessions[role] = { token: s.token, csrf: s.session.csrfToken };
  }
  return sessions;
}

type StaffHandler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** A staff route handler called as the console's form calls it: same origin, JSON, the session cookie and CSRF. */
export function staffCall(
  handler: StaffHandler,
  session: { token: string; csrf: string },
  body: unknown,
  params: Record<string, string> = {},
  method = "POST",
): Promise<Response> {
  const origin = getConfig().publicOrigin;
  const req = new Request(`${origin}/api/staff/route-under-test`, {
    method,
    headers: {
      origin,
      "content-type": "application/json",
      cookie: `${COOKIE.staff}=${session.token}`,
      [CSRF_HEADER]: session.csrf,
    },
    body: JSON.stringify(body),
  });
  return handler(req, { params: Promise.resolve(params) });
}
