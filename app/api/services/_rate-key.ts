/** The rate-limit key of an anonymous service request: the caller's address. */
export const rateKey = (ip: string | null | undefined) => ip ?? "unknown";
