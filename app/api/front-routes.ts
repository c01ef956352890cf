import type { DirectRoutes } from "@/lib/runtime/direct";

/**
 * The routes the node:http front answers itself under `npm start` and in a release (lib/runtime/direct.ts): the
 * holder's renewal API and Alipay's notification, the requests of every renewal, and the Alipay emulator's two
 * calls in it (the gateway and 确认付款; both answer 404 unless ALIPAY_SANDBOX=1). Paths as Next names them; every
 * other route is Next's. A new route under app/api/renew belongs here (tests/integration/http/direct.test.ts checks
 * that none is missing).
 */
export const FRONT_ROUTES: DirectRoutes = {
  "/api/renew/cancel": () => import("./renew/cancel/route"),
  "/api/renew/captcha": () => import("./renew/captcha/route"),
  "/api/renew/captcha/text": () => import("./renew/captcha/text/route"),
  "/api/renew/challenge": () => import("./renew/challenge/route"),
  "/api/renew/confirm": () => import("./renew/confirm/route"),
  "/api/renew/handler": () => import("./renew/handler/route"),
  "/api/renew/installed": () => import("./renew/installed/route"),
  "/api/renew/invoice": () => import("./renew/invoice/route"),
  "/api/renew/issue": () => import("./renew/issue/route"),
  "/api/renew/issue-challenge": () => import("./renew/issue-challenge/route"),
  "/api/renew/login": () => import("./renew/login/route"),
  "/api/renew/logout": () => import("./renew/logout/route"),
  "/api/renew/payment": () => import("./renew/payment/route"),
  "/api/renew/renewability": () => import("./renew/renewability/route"),
  "/api/renew/status": () => import("./renew/status/route"),
  "/api/renew/summary": () => import("./renew/summary/route"),
  "/api/payments/alipay/notify": () => import("./payments/alipay/notify/route"),
  "/sandbox/alipay/gateway.do": () => import("../sandbox/alipay/gateway.do/route"),
  "/sandbox/alipay/pay/[tradeNo]/confirm": () => import("../sandbox/alipay/pay/[tradeNo]/confirm/route"),
};
