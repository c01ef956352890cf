import { ConfigError, getConfig } from "../lib/config";
import { getDb } from "../lib/db";
import { rekeyFields } from "../lib/ops/rekey";

/**
 * `npm run fields:rekey` (release: `node scripts/fields-rekey.mjs`): FIELD_ENCRYPTION_KEY rotation. Run with the
 * NEW key in FIELD_ENCRYPTION_KEY and the old one in FIELD_ENCRYPTION_KEY_PREVIOUS, with the portal instances
 * stopped (they would still seal with the old key); safe to run again. deploy/PRODUCTION.md has the procedure.
 */
const previous = process.env.FIELD_ENCRYPTION_KEY_PREVIOUS ?? "";
try {
  if (!/^[0-9a-f]{64}$/i.test(previous))
    throw new ConfigError("FIELD_ENCRYPTION_KEY_PREVIOUS is missing: the key being replaced (64 hex characters)");
  const config = getConfig();
  if (previous.toLowerCase() === config.FIELD_ENCRYPTION_KEY.toLowerCase())
    throw new ConfigError("FIELD_ENCRYPTION_KEY_PREVIOUS is invalid: it equals FIELD_ENCRYPTION_KEY (set the new key)");
  const t = Date.now();
  const counts = await rekeyFields(await getDb(), { ...config, FIELD_ENCRYPTION_KEY: previous }, config);
  console.log(
    `re-encrypted: ${counts.certificates} certificates, ${counts.orders} orders, ${counts.staff} staff TOTP secrets; ` +
      `already under the new key: ${counts.alreadyNew}; unreadable with either key: ${counts.unreadable} ` +
      `(${((Date.now() - t) / 1000).toFixed(1)} s)`,
  );
  process.exit(counts.unreadable > 0 ? 1 : 0);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`Configuration error: ${e.message}`);
    process.exit(2);
  }
  console.error(`fields:rekey failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  process.exit(1);
}
