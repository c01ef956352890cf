import { KeyRecoveryStatusRequest, type KeyRecoveryStatusResponse } from "@/lib/api/kmc";
import { route } from "@/lib/http/route";
import { holderEscrowedKeys } from "@/lib/kmc/holder-recovery";
import { provenHolder } from "../_proof";

/** The holder's escrowed encryption keys and the state of each one's latest recovery request (key proven first). */
export const POST = route({ body: KeyRecoveryStatusRequest }, async ({ db, body, config, clock }) => {
  const holder = await provenHolder(db, { body, origin: config.publicOrigin, clock });
  return { keys: await holderEscrowedKeys(db, holder) } satisfies KeyRecoveryStatusResponse;
});
