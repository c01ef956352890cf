import { defineErrors } from "../types";

export const ordersErrors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, "zh-CN": "未找到该订单。", en: "Order not found." },
  ORDER_ILLEGAL_TRANSITION: {
    status: 409,
    "zh-CN": "订单当前状态（{from}）不允许此操作。",
    en: "This is not possible while the order is in state {from}.",
  },
  ORDER_NOT_EDITABLE: {
    status: 409,
    "zh-CN": "订单已提交，不能再修改经办人信息。",
    en: "The order has been submitted; the handler details can no longer be changed.",
  },
  ORDER_ALREADY_PAID: {
    status: 409,
    "zh-CN": "该订单已支付，不能取消。如需退款请联系客服 96701666。",
    en: "This order has already been paid and cannot be cancelled. Please call the helpdesk (96701666) for a refund.",
  },
});
