import type { FieldKeys } from "../crypto/field";
import { decryptField } from "../crypto/field";
import { maskMobile } from "../privacy/mask";
import { enqueueSms } from "../sms";
import type { CodeSender } from "./unlock";

/**
 * The unlock code by SMS as well (reach, #24): to the mobile of the holder's latest renewal whose handler chose
 * SMS (the registry keeps no phone number of its own). Null, so mail alone is used, when there is none.
 */
export function smsCodeSender(keys: FieldKeys): CodeSender {
  return {
    channel: "sms",
    async send(tx, { certificate, code }, clock) {
      const order = await tx.renewalOrder.findFirst({
        where: { notifySms: true, handlerAnonymisedAt: null, certificate: { holderIdHash: certificate.holderIdHash } },
        orderBy: { createdAt: "desc" },
        select: { handlerMobileEnc: true },
      });
      if (!order) return null;
      await enqueueSms(tx, { toEnc: order.handlerMobileEnc, template: "unlock_code", params: { code } }, clock);
      return maskMobile(decryptField(keys, order.handlerMobileEnc));
    },
  };
}
