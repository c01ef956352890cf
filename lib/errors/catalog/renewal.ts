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
});
