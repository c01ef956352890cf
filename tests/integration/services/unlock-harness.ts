import type { Actor } from "@/lib/audit";
import type { Clock } from "@/lib/clock";
import type { Db } from "@/lib/db";
import { confirmUnlock, releaseSoPin, startUnlock } from "@/lib/services/unlock";
import { TEST_BYPASS_ANSWER } from "@/lib/captcha";
import type { TokenBackend } from "@/agent/backends/types";
import { HOLDER_ID } from "./fixture";
import { getConfig } from "@/lib/config";

/** The mailed code, as the holder reads it (the outbox keeps the code in clear, it is what the mail says). */
export async function mailedCode(db: Db, certificateId: string): Promise<string> {
  const mail = await db.mailOutbox.findFirstOrThrow({
    where: { certificateId, template: "unlock_code" },
    orderBy: { createdAt: "desc" },
  });
  return String((mail.data as { code: string }).code);
}

export function start(
  db: Db,
  args: {
    der: Buffer;
    tokenSerial: string;
    idNumber?: string;
    clock: Clock;
    actor: Actor;
    captchaId?: string;
    captchaAnswer?: string;
  },
) {
  return startUnlock(
    db,
    {
      certificateDer: args.der,
      tokenSerial: args.tokenSerial,
      idNumber: args.idNumber ?? HOLDER_ID,
      captchaId: args.captchaId ?? crypto.randomUUID(),
      captchaAnswer: args.captchaAnswer ?? TEST_BYPASS_ANSWER,
      locale: "zh-CN",
    },
    { clock: args.clock, actor: args.actor, config: getConfig() },
  );
}

/** The whole page flow: start → code from the mail → release → assistant backend unlock → confirm. */
export async function unlockThrough(
  backend: TokenBackend,
  db: Db,
  args: { der: Buffer; certificateId: string; tokenSerial: string; newPin: string; clock: Clock; actor: Actor },
) {
  const { requestId } = await start(db, args);
  const code = await mailedCode(db, args.certificateId);
  const pins = await releaseSoPin(
    db,
    { requestId, code },
    { clock: args.clock, actor: args.actor, config: getConfig() },
  );
  await backend.unlock(args.tokenSerial, { soPin: pins.soPin, newPin: args.newPin, newSoPin: pins.newSoPin });
  return confirmUnlock(
    db,
    { requestId, code, usedAlternative: false },
    { clock: args.clock, actor: args.actor, config: getConfig() },
  );
}
