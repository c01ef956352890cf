import { isDomainError } from "@/lib/errors";
import { confirmSandboxPayment } from "@/lib/dev/alipay-sandbox/actions";

export const dynamic = "force-dynamic";

/** 确认付款 on the emulator's pay page: pays, then shows the page again with the new status. */
export async function POST(_req: Request, ctx: { params: Promise<{ tradeNo: string }> }) {
  const { tradeNo } = await ctx.params;
  if (!/^\d{28}$/.test(tradeNo)) return new Response("Not Found", { status: 404 });
  try {
    await confirmSandboxPayment(tradeNo);
  } catch (e) {
    if (!isDomainError(e)) throw e;
    if (e.code === "SANDBOX_DISABLED") return new Response("Not Found", { status: 404 });
  }
  return new Response(null, { status: 303, headers: { location: `/sandbox/alipay/pay/${tradeNo}` } });
}
