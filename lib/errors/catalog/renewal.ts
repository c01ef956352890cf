import { defineErrors } from "../types";

export const renewalErrors = defineErrors({
  CERT_UNKNOWN: {
    status: 404,
    "zh-CN": "系统中没有这张证书的记录，无法在线更新。请携带材料前往德州政务服务中心现场办理，咨询电话 96701666。",
    en: "This certificate is not known to the registry and cannot be renewed online. Please visit the Dezhou Government Service Centre (hotline 96701666).",
  },
  CERT_REVOKED: {
    status: 403,
    "zh-CN": "该证书已被注销（吊销），不能在线更新。请前往德州政务服务中心现场办理新证书，咨询电话 96701666。",
    en: "This certificate has been revoked and cannot be renewed. Please apply for a new certificate in person at the Dezhou Government Service Centre (hotline 96701666).",
  },
  CERT_SUPERSEDED: {
    status: 409,
    "zh-CN": "该证书已经更新过，请使用新证书。",
    en: "This certificate has already been renewed. Please use the new certificate.",
  },
  RENEWAL_TOO_EARLY: {
    status: 409,
    "zh-CN": "证书到期前 {windowDays} 天内才能在线更新，本证书可于 {opensAtLocal} 起办理。",
    en: "Online renewal opens {windowDays} days before expiry. This certificate can be renewed from {opensAtLocal} (Beijing time).",
  },
  RENEWAL_EXPIRED: {
    status: 403,
    "zh-CN": "证书已于 {notAfterLocal} 过期，无法在线更新。请携带材料前往德州政务服务中心现场办理，咨询电话 96701666。",
    en: "This certificate expired on {notAfterLocal} and can no longer be renewed online. Please visit the Dezhou Government Service Centre in person (hotline 96701666).",
  },
  HANDLER_INVALID: {
    status: 422,
    "zh-CN": "经办人信息不完整或格式不正确。",
    en: "The handler details are incomplete or invalid.",
  },
  FEE_TIER_MISSING: {
    status: 503,
    "zh-CN": "暂未配置该类证书的收费标准，请联系客服 96701666。",
    en: "No fee is configured for this kind of certificate yet. Please call the helpdesk (96701666).",
  },
  FEE_TIER_OVERLAP: {
    status: 409,
    "zh-CN": "该收费标准的生效期与已有标准重叠（{conflictFrom} 起）。",
    en: "This fee tier overlaps an existing tier (from {conflictFrom}).",
  },
  FEE_TIER_INVALID: {
    status: 422,
    "zh-CN": "收费标准不正确：{reason}",
    en: "The fee tier is invalid: {reason}",
  },
  FEE_TIER_RETROACTIVE: {
    status: 422,
    "zh-CN": "收费标准不能追溯生效，生效时间须晚于当前时间。",
    en: "A fee tier cannot take effect in the past.",
  },
  POP_CHALLENGE_INVALID: {
    status: 400,
    "zh-CN": "验证请求无效，请刷新页面后重新提交。",
    en: "The verification request is not valid. Please reload the page and submit again.",
  },
  POP_CHALLENGE_EXPIRED: {
    status: 401,
    "zh-CN": "验证已超时（有效期 2 分钟），请重新提交。",
    en: "The verification timed out (it is valid for 2 minutes). Please submit again.",
  },
  POP_CHALLENGE_USED: {
    status: 409,
    "zh-CN": "该验证请求已经使用过，请重新提交。",
    en: "This verification request has already been used. Please submit again.",
  },
  POP_SIGNATURE_INVALID: {
    status: 401,
    "zh-CN": "U-Key 签名验证失败：签名与系统中的证书不符。请确认插入的是本人的 U-Key。",
    en: "The key's signature could not be verified against the registered certificate. Check that you inserted your own key.",
  },
  POP_CSR_MISMATCH: {
    status: 400,
    "zh-CN": "证书请求与签名确认的内容不一致，请重新下证。",
    en: "The certificate request does not match the one you confirmed. Please start the download again.",
  },
  RENEWAL_NOT_READY_TO_ISSUE: {
    status: 409,
    "zh-CN": "订单当前状态（{state}）还不能下证。自付费订单须先完成支付。",
    en: "The certificate cannot be downloaded while the order is in state {state}. Self-paying orders must be paid first.",
  },
  RENEWAL_NOT_ISSUED: {
    status: 409,
    "zh-CN": "新证书尚未签发，请先完成下证。",
    en: "The new certificate has not been issued yet. Please download it first.",
  },
  RENEWAL_NO_ORDER: {
    status: 404,
    "zh-CN": "没有进行中的更新申请，请重新开始。",
    en: "There is no renewal in progress. Please start again.",
  },
});
