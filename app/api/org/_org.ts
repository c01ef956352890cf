import { route, type RouteContext, type RouteOptions } from "@/lib/http/route";
import type { Organisation } from "@/lib/generated/prisma/client";
import { sessionOrganisation } from "@/lib/org/login";

/** Every 大客户专区 route after sign-in: the `org` session, its CSRF check, and the organisation it belongs to. */
export function orgRoute<B = undefined, Q = undefined>(
  opts: Omit<RouteOptions<B, Q>, "session" | "requireSession">,
  handler: (ctx: RouteContext<B, Q> & { organisation: Organisation }) => Promise<unknown>,
) {
  return route<B, Q>({ ...opts, session: "org", requireSession: true }, async (ctx) =>
    handler({ ...ctx, organisation: await sessionOrganisation(ctx.db, ctx.session, ctx.clock) }),
  );
}
