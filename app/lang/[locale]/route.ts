import { getConfig } from "@/lib/config";
import { LOCALE_COOKIE, localPath, serializeCookie } from "@/lib/http/request";
import { parseLocale } from "@/lib/messages";

/** Sets the language preference and returns to a local path (never to another site). */
export async function GET(req: Request, ctx: { params: Promise<{ locale: string }> }) {
  const locale = parseLocale((await ctx.params).locale);
  const target = localPath(new URL(req.url).searchParams.get("next"), getConfig().publicOrigin);
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
