import type { Certificate } from "@/lib/generated/prisma/client";
import type { Clock } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { verifyProof } from "@/lib/renewal/pop";

/** The certificate whose key signed the holder's `login` challenge (each key-recovery call proves the key again). */
export function provenHolder(
  db: Db,
  args: { body: { challenge: string; signature: string }; origin: string; clock: Clock },
): Promise<Certificate> {
  return verifyProof(db, {
    challengeText: args.body.challenge,
    signatureB64: args.body.signature,
    purpose: "login",
    origin: args.origin,
    clock: args.clock,
  });
}
