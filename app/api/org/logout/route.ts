import { route } from "@/lib/http/route";
import { readCookie } from "@/lib/http/request";
import { COOKIE, destroySession } from "@/lib/session";

export const POST = route({ session: "org", requireSession: true }, async ({ db, req, setCookie }) => {
  await destroySession(db, readCookie(req, COOKIE.org));
  setCookie(COOKIE.org, "", { maxAgeSeconds: 0 });
  return { ok: true };
});
