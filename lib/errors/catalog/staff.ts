import { defineErrors } from "../types";

export const staffErrors = defineErrors({
  STAFF_BAD_CREDENTIALS: { status: 401, "zh-CN": "用户名或密码不正确。", en: "Wrong username or password." },
  STAFF_OTP_REQUIRED: {
    status: 401,
    "zh-CN": "请输入身份验证器上的 6 位动态码。",
    en: "Enter the 6-digit code from your authenticator app.",
  },
  STAFF_OTP_INVALID: { status: 422, "zh-CN": "动态码不正确或已过期。", en: "The code is wrong or has expired." },
  STAFF_PASSWORD_WEAK: {
    status: 422,
    "zh-CN": "密码强度不足：至少 {minLength} 位，包含大小写字母、数字、符号中的三类，且不能含用户名或常见密码。",
    en: "Password too weak: at least {minLength} characters from three of lower case, upper case, digits and symbols, without the username or a common password.",
  },
  STAFF_USERNAME_TAKEN: { status: 409, "zh-CN": "该用户名已被使用。", en: "This username is taken." },
  STAFF_USER_NOT_FOUND: { status: 404, "zh-CN": "未找到该工作人员账号。", en: "Staff account not found." },
  STAFF_LAST_ADMIN: {
    status: 409,
    "zh-CN": "不能停用或降级最后一个可用的管理员账号。",
    en: "The last active administrator cannot be disabled or given another role.",
  },
  STAFF_SELF_CHANGE: {
    status: 409,
    "zh-CN": "不能停用自己的账号或修改自己的角色。",
    en: "You cannot disable your own account or change your own role.",
  },
  STAFF_MAIL_NOT_FOUND: { status: 404, "zh-CN": "该订单没有这封邮件。", en: "This order has no such mail." },
  STAFF_SETTING_INVALID: {
    status: 422,
    "zh-CN": "设置值不在允许范围内（{key}）。",
    en: "The value of {key} is out of range.",
  },
  STAFF_IN_PERSON_NOT_ALLOWED: {
    status: 409,
    "zh-CN": "订单状态为 {state}，不能标记为现场办理：已付款的订单请先退款。",
    en: "An order in state {state} cannot be marked as handled in person: refund a paid order first.",
  },
  STAFF_REISSUE_NOT_ALLOWED: {
    status: 409,
    "zh-CN": "只有已付款且卡在“已支付/签发中”的订单可以重新签发（当前 {state}）。",
    en: "Only paid orders stuck in paid or issuing can be re-issued (this one is {state}).",
  },
  STAFF_NOTHING_TO_UNMASK: { status: 404, "zh-CN": "没有可显示的字段。", en: "There is no such field to show." },
});
