import { defineErrors } from "../types";

export const servicesErrors = defineErrors({
  CAPTCHA_INVALID: { status: 422, "zh-CN": "验证码不正确，请输入新的验证码。", en: "The captcha answer is wrong. Please enter the new one." },
  CAPTCHA_EXPIRED: { status: 422, "zh-CN": "验证码已过期，请输入新的验证码。", en: "The captcha has expired. Please enter the new one." },
});
