import { defineErrors } from "../types";

/** The key management centre (lib/kmc): dual certificates, the enveloped encryption key, key recovery. */
export const kmcErrors = defineErrors({
  TOKEN_ENVELOPE_INVALID: {
    status: 422,
    "zh-CN": "加密密钥数据无法导入 U-Key（{reason}），请重新下证；若仍失败，请联系客服。",
    en: "The encryption key could not be imported into the key ({reason}). Please download again; if it keeps failing, contact the helpdesk.",
  },
  KMC_NOT_CONFIGURED: {
    status: 503,
    "zh-CN": "国密双证书服务暂不可用，您的订单已保留，请稍后再下证或联系客服。",
    en: "The dual-certificate service is not available right now. Your order is kept: download later or contact the helpdesk.",
  },
  KMC_KEY_NOT_FOUND: {
    status: 404,
    "zh-CN": "找不到这张加密证书的托管密钥。",
    en: "No escrowed key was found for this encryption certificate.",
  },
  KMC_RECOVERY_NOT_FOUND: {
    status: 404,
    "zh-CN": "找不到这条密钥恢复申请。",
    en: "This key recovery request was not found.",
  },
  KMC_RECOVERY_STATE: {
    status: 409,
    "zh-CN": "这条密钥恢复申请当前为“{state}”，不能执行此操作。",
    en: "This key recovery request is {state}: the action is not possible.",
  },
  KMC_RECOVERY_SAME_STAFF: {
    status: 403,
    "zh-CN": "密钥恢复须由另一位具有密钥管理权限的工作人员审批，申请人不能自己审批。",
    en: "Key recovery must be approved by a second staff member with the key-management permission, not by the requester.",
  },
  KMC_RECOVERY_WRONG_HOLDER: {
    status: 403,
    "zh-CN": "用于接收恢复密钥的证书与被恢复的加密证书不属于同一持有人。",
    en: "The certificate that should receive the recovered key does not belong to the holder of the encryption certificate.",
  },
  // kmc2: the holder's key recovery page (/recover)
  KMC_NO_ESCROWED_KEY: {
    status: 404,
    "zh-CN":
      "这张证书的持有人没有由密钥管理中心托管的加密密钥。只有国密（SM2）双证书才有加密证书；如有疑问，请联系客服。",
    en: "The holder of this certificate has no encryption key escrowed by the key management centre. Only SM2 dual certificates have one; contact the helpdesk if in doubt.",
  },
  KMC_RECOVERY_NEEDS_SM2: {
    status: 422,
    "zh-CN": "恢复的加密密钥只能导入国密（SM2）U-Key。请插入装有您国密签名证书的 U-Key 后重试。",
    en: "A recovered encryption key can only be imported into an SM2 key. Insert the key that holds your SM2 signing certificate and try again.",
  },
});
