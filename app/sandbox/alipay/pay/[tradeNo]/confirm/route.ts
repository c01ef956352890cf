import { isDbUnavailable, isDomainError } from "@/lib/errors";
import { confirmSandboxPayment } from "@/lib/dev/alipay-sandbox/actions";

export const dynamic = "force-dynamic";

/** 确认付款 on the emulator's pay page: pays, then shows the page again with the new status. */
export async function POST(_req: Request, ctx: { params: Promise<{ tradeNo: string }> }) {
  const { tradeNo } = await ctx.params;
  if (!/^\d{28}$/.test(tradeNo)) return new Response("Not Found", { status: 404 });
  try {
    await confirmSandboxPayment(tradeNo);
  } catch (e) {
    // the emulator shares the portal's database: while it is down the payer is told to try again, as Alipay's
    // app says "system busy" (a 503 with Retry-After, never a 500)
    if (isDbUnavailable(e))
      return new Response("系统繁忙，请稍后再试", { status: 503, headers: { "retry-after": "1" } });
    if (!isDomainError(e)) throw e;
    if (e.code === "SANDBOX_DISABLED") return new Response("Not Found", { status: 404 });
  }
  return new Response(null, { status: 303, headers: { location: `/sandbox/alipay/pay/${tradeNo}` } });
}
