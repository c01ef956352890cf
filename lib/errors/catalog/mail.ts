import { defineErrors } from "../types";

export const mailErrors = defineErrors({
  MAIL_UNSUBSCRIBE_INVALID: {
    status: 400,
    "zh-CN": "退订链接无效或已损坏，请使用邮件中的完整链接。",
    en: "This unsubscribe link is invalid or damaged. Please use the complete link from the mail.",
  },
  MAIL_NOT_FAILED: {
    status: 409,
    "zh-CN": "该邮件不是发送失败状态，无需重发。",
    en: "This mail has not failed; there is nothing to resend.",
  },
  MAIL_REMINDER_DAYS_INVALID: {
    status: 422,
    "zh-CN": "提醒天数须为 1 至 90 之间的整数，最多 10 个，且不能重复。",
    en: "Reminder days must be whole numbers from 1 to 90, at most 10 of them, without repeats.",
  },
});
