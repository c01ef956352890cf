import { defineErrors } from "../types";

/** bigclient (#24): 大客户专区, the console of an organisation that pays for its holders' renewals. */
export const orgErrors = defineErrors({
  ORG_CERT_NOT_REGISTERED: {
    status: 403,
    "zh-CN": "该证书不是已开通大客户专区的单位证书。请插入本单位的机构证书 U-Key 后重试；如需开通，请致电 96701666。",
    en: "This certificate is not an organisation certificate registered for the corporate console. Insert your organisation's key and try again; to register, call 96701666.",
  },
  ORG_CERT_EXPIRED: {
    status: 403,
    "zh-CN": "单位证书已过期，无法登录大客户专区，请先到德州政务服务中心办理单位证书更新。",
    en: "The organisation certificate has expired: renew it at the Dezhou Government Service Centre before signing in.",
  },
  ORG_NOT_FOUND: { status: 404, "zh-CN": "未找到该单位。", en: "Organisation not found." },
  ORG_HOLDER_NOT_MEMBER: {
    status: 404,
    "zh-CN": "所选证书（序列号 {serial}）不属于本单位统一付费的证书用户。",
    en: "The certificate {serial} is not one of your organisation's holders.",
  },
  ORG_HOLDER_ALREADY_COVERED: {
    status: 409,
    "zh-CN": "{holderName} 本次更新的费用已由单位支付（或在支付中、或已由合同覆盖），不会重复收费。",
    en: "The renewal of {holderName} is already paid, being paid or covered by your contract; it is never charged twice.",
  },
  ORG_HOLDER_PAYING: {
    status: 409,
    "zh-CN": "{holderName} 已自行提交更新申请并进入支付环节，不能再由单位支付。",
    en: "{holderName} has already submitted the renewal and is paying for it; the organisation cannot pay as well.",
  },
  ORG_HOLDER_NOT_RENEWABLE: {
    status: 409,
    "zh-CN": "{holderName} 的证书已过期、已注销或已更新，不能在线更新，无需为其付费。",
    en: "The certificate of {holderName} has expired, been revoked or already been renewed: there is nothing to pay for online.",
  },
  ORG_HOLDER_NO_FEE: {
    status: 409,
    "zh-CN": "{holderName} 为统一付费证书，本人在线更新无需支付；如需记录，请使用“合同覆盖”。",
    en: "{holderName} is under unified payment and renews free of charge; use “covered by contract” to record it.",
  },
  ORG_BATCH_EMPTY: { status: 422, "zh-CN": "请至少选择一位证书用户。", en: "Select at least one holder." },
  ORG_BATCH_TOO_LARGE: {
    status: 422,
    "zh-CN": "一次最多选择 {max} 位证书用户，请分批办理。",
    en: "At most {max} holders per batch; please split the selection.",
  },
  ORG_BATCH_NOT_FOUND: { status: 404, "zh-CN": "未找到该批次。", en: "Batch not found." },
  ORG_BATCH_NOT_PAYABLE: {
    status: 409,
    "zh-CN": "该批次已支付或已关闭，无需再付款。",
    en: "This batch is already paid or closed; there is nothing to pay.",
  },
  ORG_BATCH_PENDING: {
    status: 409,
    "zh-CN": "您的单位正在为您统一支付本次更新费用，请在单位付款完成后再确认提交；如需自行支付，请联系单位经办人。",
    en: "Your organisation is paying for this renewal right now. Confirm once its payment is complete, or ask your organisation's contact.",
  },
  ORG_CONTRACT_INACTIVE: {
    status: 403,
    "zh-CN": "本单位没有有效的服务合同，不能标记“合同覆盖”，请选择在线支付或致电 96701666。",
    en: "Your organisation has no service contract in force: pay online instead, or call 96701666.",
  },
  ORG_ITEM_NOT_REFUNDABLE: {
    status: 409,
    "zh-CN": "该证书用户已使用（或正在使用）本次付费办理更新，或已退款，不能退款。",
    en: "This holder has used (or is using) the payment for a renewal, or it was refunded already: it cannot be refunded.",
  },
  ORG_INVOICE_NOT_ALLOWED: {
    status: 409,
    "zh-CN": "该批次尚未付款，付款后才能填写开票信息。",
    en: "Invoice details can be given once the batch is paid.",
  },
  // orgstaff (#24): the staff page's invoice mark
  ORG_INVOICE_NOT_ISSUABLE: {
    status: 409,
    "zh-CN": "该批次未在线付款，或发票已登记为已开具，不能重复登记。",
    en: "This batch was not paid online, or its invoice is already marked as issued.",
  },
});
