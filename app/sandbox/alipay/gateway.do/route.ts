import { handleGateway } from "@/lib/dev/alipay-sandbox/gateway";

export const dynamic = "force-dynamic";

/** The local Alipay emulator's gateway (404 unless ALIPAY_SANDBOX=1). */
export function POST(req: Request) {
  return handleGateway(req);
}
