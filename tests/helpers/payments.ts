import { getConfig } from "@/lib/config";
import { alipayFor, type PaymentDeps } from "@/lib/payments/alipay/client";

/**
 * The payment steps' dependencies as a route makes them (lib/http/route.ts), read from the test environment's
 * configuration at each use: a test that changes the environment and calls resetConfig() gets a new client.
 */
export const envPayments: PaymentDeps = {
  alipay: () => alipayFor(getConfig()),
  get links() {
    return getConfig();
  },
};
