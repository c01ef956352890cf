/** The console's holder filters (browser-safe: the page's filter form uses the same list). */
export const HOLDER_FILTERS = ["all", "renewable", "too_early", "expired", "revoked", "covered"] as const;
export type HolderFilter = (typeof HOLDER_FILTERS)[number];
