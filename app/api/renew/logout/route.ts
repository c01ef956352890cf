import { route } from "@/lib/http/route";
import { readCookie } from "@/lib/http/request";
import { COOKIE, destroySession } from "@/lib/session";

export const POST = route({ session: "holder" }, async ({ db, req, setCookie }) => {
  await destroySession(db, readCookie(req, COOKIE.holder));
  setCookie(COOKIE.holder, "", { maxAgeSeconds: 0 });
  return { ok: true };
});
