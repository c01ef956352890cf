/** Query-string of a page link that keeps the current filters and changes some. */
export function withParams(
  base: string,
  params: Record<string, string | undefined>,
  change: Record<string, string | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...params, ...change })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${base}?${s}` : base;
}
