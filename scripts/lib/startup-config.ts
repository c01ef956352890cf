import { ConfigError, parseConfig } from "../../lib/config";
import { sandboxMerchantEnv } from "../../lib/dev/alipay-sandbox/keys";
import { validateMailConfig } from "../../lib/mail/transport";

/**
 * The configuration the portal's processes will read, checked before any is started: a mistake ends start-up
 * with one line (exit 2). With the built-in Alipay sandbox the portal pays through the emulator with the
 * emulator's keys, configured like a real merchant's, so those keys are put into `env` for the processes.
 */
export function startupConfigOrExit(env: NodeJS.ProcessEnv): ReturnType<typeof parseConfig> {
  let config;
  try {
    config = parseConfig(env);
    validateMailConfig(config);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  if (config.ALIPAY_SANDBOX) Object.assign(env, sandboxMerchantEnv(config.dataDir));
  return config;
}
