import { route } from "@/lib/http/route";
import { handleNotify } from "@/lib/payments/alipay/notify";
import { batchTrades } from "@/lib/org/settle";

export const dynamic = "force-dynamic";

/** Alipay's asynchronous notification: a form post from Alipay's servers, answered in plain text. */
export const POST = route({ csrf: false, rawBody: true }, async ({ req, db, clock, alipay, config }) => {
  const params = Object.fromEntries(new URLSearchParams(await req.text()));
  const answer = await handleNotify(db, { alipay, links: config }, params, clock, batchTrades);
  return new Response(answer, {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
});
