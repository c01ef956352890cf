import { KeyRecoveryAskRequest, type KeyRecoveryAskResponse } from "@/lib/api/kmc";
import { route } from "@/lib/http/route";
import { requestRecoveryByHolder } from "@/lib/kmc/holder-recovery";
import { provenHolder } from "../_proof";

/** The holder asks to recover an escrowed encryption key of theirs; two staff members then decide (/staff/kmc). */
export const POST = route({ body: KeyRecoveryAskRequest }, async ({ db, body, config, clock, actor }) => {
  const holder = await provenHolder(db, { body, origin: config.publicOrigin, clock });
  const r = await requestRecoveryByHolder(db, { holder, serial: body.serial, reason: body.reason, actor, clock });
  return { id: r.id, state: r.state } satisfies KeyRecoveryAskResponse;
});
