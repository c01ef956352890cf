import type { UpstreamTransactionStore } from "./transaction-store";
import type { UpstreamIssuer } from "./types";

/**
 * ISSUER=cmp's client is the cmp helper's `createCmpIssuer` in lib/pki/issuers/cmp/ (written beside this branch).
 * MERGE POINT: once lib/pki/issuers/cmp/ is in the tree, replace the body of this file with
 *   export { createCmpIssuer } from "./cmp";
 *   export type { CmpSettings } from "./cmp/settings";
 * (h/cmp's settings use the same field names; its options take `transactions`, a store of this shape). Until then
 * ISSUER=cmp stops at start-up with a line saying the client is not in the build.
 */
export interface CmpSettings {
  serverUrl: string;
  ref?: string;
  secret?: string;
  /** RA certificate and key files (signature protection) */
  certFile?: string;
  keyFile?: string;
  /** PEM file: the CA certificates the answers must chain to */
  trustedFile?: string;
  timeoutMs: number;
}

export const createCmpIssuer:
  ((settings: CmpSettings, options?: { transactions?: UpstreamTransactionStore }) => UpstreamIssuer) | null = null;
