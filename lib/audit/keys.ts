import { getConfig, type Config } from "../config";
import { chainKeysFrom, type ChainKeys } from "./chain";

const keysByConfig = new WeakMap<Config, ChainKeys>();

/** The keys new events are sealed with, from the process configuration (AUDIT_CHAIN_KEY, CRYPTO_SUITE). */
export function currentChainKeys(config: Config = getConfig()): ChainKeys {
  let keys = keysByConfig.get(config);
  if (!keys) {
    keys = chainKeysFrom(config);
    keysByConfig.set(config, keys);
  }
  return keys;
}
