import { route, type RouteContext, type RouteOptions } from "../http/route";
import { DomainError } from "../errors";
import { log } from "../log";
import { staffForSession, type StaffIdentity } from "./auth";
import { roleMayUse, STAFF_ROUTES, type StaffApiKey } from "./permissions";

/**
 * The wrapper of every staff API route, on top of `route`: the staff session cookie is required, the account
 * must be active, the role must hold the registry's permission for this route, and every state-changing
 * request carries the session's CSRF token (checked by `route`, with the Origin). Errors map in one place.
 *
 *   export const POST = staffRoute("POST /api/staff/orders/[id]/note", { body: Note }, (ctx) => addNote(…));
 */

export interface StaffContext<B, Q> extends RouteContext<B, Q> {
  staff: StaffIdentity;
}

type StaffOptions<B, Q> = Omit<RouteOptions<B, Q>, "session" | "requireSession" | "csrf" | "idempotency">;
type PublicKey = { [K in StaffApiKey]: (typeof STAFF_ROUTES)[K] extends "public" ? K : never }[StaffApiKey];
type ProtectedKey = Exclude<StaffApiKey, PublicKey>;

export function staffRoute<B = undefined, Q = undefined>(
  key: ProtectedKey,
  opts: StaffOptions<B, Q>,
  handler: (ctx: StaffContext<B, Q>) => Promise<unknown>,
) {
  return route<B, Q>({ ...opts, session: "staff", requireSession: true }, async (ctx) => {
    const staff = await staffForSession(ctx.db, ctx.session!);
    if (!staff) throw new DomainError("UNAUTHENTICATED");
    if (!roleMayUse(staff.role, key)) {
      log.warn(
        { requestId: ctx.requestId, staffUserId: staff.id, role: staff.role, route: key },
        "staff permission refused",
      );
      throw new DomainError("FORBIDDEN", { needs: STAFF_ROUTES[key] });
    }
    return handler({ ...ctx, staff });
  });
}

/** The sign-in: no session yet, so the same-origin check is the CSRF defence (login CSRF). */
export function staffPublicRoute<B = undefined, Q = undefined>(
  key: PublicKey,
  opts: StaffOptions<B, Q>,
  handler: (ctx: RouteContext<B, Q>) => Promise<unknown>,
) {
  void key; // typed against the registry: only a route listed as "public" can skip the session
  return route<B, Q>({ ...opts, csrf: true }, handler);
}
