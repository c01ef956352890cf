import { defineErrors } from "../types";

/** RA mode (ra, issue #20): the operator's CA upstream is down, slow, or refuses. */
export const upstreamErrors = defineErrors({
  UPSTREAM_RETRY_LATER: {
    status: 503,
    "zh-CN":
      "签发机构（CA）暂时没有响应，证书还未签发。您的订单和付款都已保留，无需重新支付：请稍后重试下证，系统也会在后台为您继续签发。",
    en: "The certificate authority is not answering right now, so the certificate has not been issued yet. Your order and payment are kept and you will not pay again: please try again later; the portal also keeps trying in the background.",
  },
  UPSTREAM_REFUSED: {
    status: 409,
    "zh-CN":
      "签发机构（CA）拒绝了这次证书申请。已付款项将原路退回（统一缴费的无需处理）；如需帮助请拨打 96701666 或前往德州政务服务中心现场办理。",
    en: "The certificate authority refused this request. Any payment will be refunded to where it came from; for help call 96701666 or visit the Dezhou Government Service Centre.",
  },
  UNLOCK_IN_PERSON: {
    status: 422,
    "zh-CN":
      "这把 U-Key 由原系统发放，系统中没有它的管理员密码，无法在线解锁。请携带 U-Key 和有效证件前往德州政务服务中心现场解锁，咨询电话 96701666。",
    en: "This key was issued by the previous system and its administrator PIN is not on record, so it cannot be unlocked online. Bring the key and your ID to the Dezhou Government Service Centre (hotline 96701666).",
  },
});
