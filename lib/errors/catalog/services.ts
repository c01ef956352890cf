import { defineErrors } from "../types";

export const servicesErrors = defineErrors({
  CAPTCHA_INVALID: {
    status: 422,
    "zh-CN": "验证码不正确，请输入新的验证码。",
    en: "The captcha answer is wrong. Please enter the new one.",
  },
  CAPTCHA_EXPIRED: {
    status: 422,
    "zh-CN": "验证码已过期，请输入新的验证码。",
    en: "The captcha has expired. Please enter the new one.",
  },
  STATUS_SERIAL_INVALID: {
    status: 422,
    "zh-CN": "证书序列号格式不正确：应为十六进制数字（0-9、a-f），可含冒号或空格。",
    en: "The serial number is not valid: use hexadecimal digits (0-9, a-f), colons or spaces allowed.",
  },
  STATUS_NOT_FOUND: {
    status: 404,
    "zh-CN": "未找到该序列号的证书。请核对序列号，或插入 U-Key 后直接查询。",
    en: "No certificate has this serial number. Check it, or insert your key and query from the key.",
  },
  STATUS_CERT_MISMATCH: {
    status: 422,
    "zh-CN": "U-Key 中的证书与登记信息不一致，请致电 96701666。",
    en: "The certificate on the key does not match our records. Please call 96701666.",
  },
  REVOKE_REASON_INVALID: { status: 422, "zh-CN": "请选择注销原因。", en: "Please choose a reason for the revocation." },
  REVOKE_NOT_CONFIRMED: {
    status: 422,
    "zh-CN": "请确认您了解注销后不可恢复。",
    en: "Please confirm that you understand the revocation cannot be undone.",
  },
  REVOKE_ORDER_IN_PROGRESS: {
    status: 409,
    "zh-CN":
      "该证书有正在处理的更新订单（{orderState}），订单结束前不能注销。请先完成下证或等待退款，如有疑问请致电 96701666。",
    en: "This certificate has a renewal order in progress ({orderState}); it cannot be revoked until the order ends. Finish the download or wait for the refund; call 96701666 with questions.",
  },
  UNLOCK_CERT_UNKNOWN: {
    status: 404,
    "zh-CN": "这张证书不在登记记录中，无法在线解锁。请携带 U-Key 和身份证件前往德州政务服务中心。",
    en: "This certificate is not in our records and cannot be unlocked online. Bring the key and your ID to the Dezhou Government Service Centre.",
  },
  UNLOCK_NO_CONTACT: {
    status: 422,
    "zh-CN": "登记信息中没有可接收验证码的电子邮箱，无法在线解锁。请携带 U-Key 和身份证件前往德州政务服务中心。",
    en: "No e-mail address is on record to receive a code, so online unlock is not possible. Bring the key and your ID to the Dezhou Government Service Centre.",
  },
  // hardening (issue 21): one answer whichever identity check failed, so a wrong try tells nothing
  UNLOCK_IDENTITY_MISMATCH: {
    status: 422,
    "zh-CN":
      "U-Key 或证件号码与登记信息不符，未发送验证码。请核对证件号码并确认插入的是这张证书所在的 U-Key 后重试（多次输错将暂停在线解锁）；仍无法解锁请携带 U-Key 和身份证件前往德州政务服务中心。",
    en: "The key or the ID number does not match our records; no code was sent. Check the ID number and that the inserted key holds this certificate, then try again (too many wrong tries pause online unlock). If it still fails, bring the key and your ID to the Dezhou Government Service Centre.",
  },
  UNLOCK_REQUEST_INVALID: {
    status: 404,
    "zh-CN": "解锁申请不存在或已失效，请重新开始。",
    en: "This unlock request does not exist or is no longer valid. Please start again.",
  },
  UNLOCK_CODE_INVALID: {
    status: 422,
    "zh-CN": "验证码不正确，还可尝试 {attemptsLeft} 次。",
    en: "The code is wrong. {attemptsLeft} tries left.",
  },
  UNLOCK_CODE_EXPIRED: {
    status: 422,
    "zh-CN": "验证码已过期，请重新获取验证码。",
    en: "The code has expired. Please request a new one.",
  },
  UNLOCK_CODE_USED: {
    status: 409,
    "zh-CN": "该验证码已使用过，请重新获取验证码。",
    en: "This code has already been used. Please request a new one.",
  },
  UNLOCK_TOO_MANY_ATTEMPTS: {
    status: 429,
    "zh-CN": "尝试次数过多，在线解锁已暂停，请 {retryAfterMinutes} 分钟后再试，或致电 96701666。",
    en: "Too many attempts: online unlock is paused. Try again in {retryAfterMinutes} minutes, or call 96701666.",
  },
  UNLOCK_NOT_RELEASED: {
    status: 409,
    "zh-CN": "解锁尚未完成验证，无法确认。请重新开始。",
    en: "This unlock was not verified, so it cannot be confirmed. Please start again.",
  },
  UNLOCK_ROTATION_INVALID: {
    status: 422,
    "zh-CN": "解锁结果与本次操作不符，请致电 96701666。",
    en: "The unlock result does not match this operation. Please call 96701666.",
  },
});
