import { defineErrors } from "../types";

export const paymentsErrors = defineErrors({
  PAYMENT_NOT_OPEN: {
    status: 409,
    "zh-CN": "该申请当前无需支付。",
    en: "This application is not waiting for payment.",
  },
  PAYMENT_EXPIRED: {
    status: 409,
    "zh-CN": "支付时限已过，请重新提交申请。",
    en: "The payment window has closed. Please submit the application again.",
  },
  ALIPAY_NOT_CONFIGURED: {
    status: 503,
    "zh-CN": "在线支付暂未开通，请联系客服 96701666。",
    en: "Online payment is not set up yet. Please call 96701666.",
  },
  ALIPAY_UNAVAILABLE: {
    status: 503,
    "zh-CN": "支付宝暂时无法连接，请稍后重试。",
    en: "Alipay cannot be reached right now. Please try again shortly.",
  },
  ALIPAY_REJECTED: {
    status: 502,
    "zh-CN": "支付宝拒绝了该请求（{subCode}），请稍后重试或联系客服。",
    en: "Alipay refused the request ({subCode}). Please retry later or contact the helpdesk.",
  },
  REFUND_NOT_ALLOWED: {
    status: 409,
    "zh-CN": "该订单当前状态（{state}）不能退款。",
    en: "An order in state {state} cannot be refunded.",
  },
  REFUND_PARTIAL_NOT_ALLOWED: {
    status: 422,
    "zh-CN": "按现行政策只能全额退款（{paidFen} 分）。",
    en: "Policy allows full refunds only ({paidFen} fen).",
  },
  REFUND_AMOUNT_INVALID: {
    status: 422,
    "zh-CN": "退款金额须大于 0 且不超过实付金额。",
    en: "The refund amount must be above zero and at most the amount paid.",
  },
  INVOICE_NOT_ALLOWED: {
    status: 409,
    "zh-CN": "付款完成后才能填写开票信息。",
    en: "Invoice details can be given once the order is paid.",
  },
  INVOICE_LOCKED: {
    status: 409,
    "zh-CN": "发票已开具，开票信息不能再修改。",
    en: "The invoice has been issued; its details can no longer be changed.",
  },
  INVOICE_LINK_INVALID: {
    status: 404,
    "zh-CN": "该开票链接无效，请使用付款成功邮件中的链接，或致电 96701666。",
    en: "This invoice link is not valid. Use the link in the payment mail, or call 96701666.",
  },
  // harden2 (#21 item 5): the confirmation link mailed to an invoice address that is not the handler's
  INVOICE_CONFIRM_INVALID: {
    status: 404,
    "zh-CN": "该确认链接无效或已过期（开票信息可能已修改或发票已开具）。如需接收电子发票，请让经办人重新提交开票信息。",
    en: "This confirmation link is not valid or has expired (the invoice details may have changed or the invoice has been issued). To receive the e-invoice, ask the handler to submit the invoice details again.",
  },
  INVOICE_NOT_FOUND: { status: 404, "zh-CN": "尚未填写开票信息。", en: "No invoice details have been given yet." },
  SANDBOX_DISABLED: { status: 404, "zh-CN": "未找到相应内容。", en: "Not found." },
  SANDBOX_TRADE_NOT_FOUND: {
    status: 404,
    "zh-CN": "交易不存在或已关闭。",
    en: "The trade does not exist or has been closed.",
  },
  SANDBOX_TRADE_NOT_PAYABLE: {
    status: 409,
    "zh-CN": "该交易当前状态为 {status}，不能付款。",
    en: "The trade is {status} and cannot be paid.",
  },
});
