import { LOCALE_COOKIE, serializeCookie } from "@/lib/http/request";
import { parseLocale } from "@/lib/messages";

/** Sets the language preference and returns to a local path (never to another site). */
export async function GET(req: Request, ctx: { params: Promise<{ locale: string }> }) {
  const locale = parseLocale((await ctx.params).locale);
  const next = new URL(req.url).searchParams.get("next") ?? "/";
  const target = next.startsWith("/") && !next.startsWith("//") ? next : "/";
  return new Response(null, {
    status: 303,
    headers: {
      location: target,
      "set-cookie": serializeCookie(LOCALE_COOKIE, locale, {
        secure: false,
        httpOnly: false,
        sameSite: "Lax",
        maxAgeSeconds: 365 * 86400,
      }),
    },
  });
}
