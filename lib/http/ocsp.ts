import { getDb } from "../db";
import { systemClock } from "../clock";
import { getCa } from "../pki/ca";
import type { OcspDeps } from "../pki/ocsp";

/** The process's OCSP responder dependencies (database, CA, system clock), wired at the edge for the /ocsp routes. */
export async function processOcspDeps(): Promise<OcspDeps> {
  const [db, ca] = await Promise.all([getDb(), getCa()]);
  return { db, ca, clock: systemClock };
}
