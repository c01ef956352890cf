/** Field-level validation messages: zod schemas use these keys as their messages. */
export const validation = {
  "zh-CN": {
    required: "此项为必填项",
    invalid: "格式不正确",
    tooLong: "内容过长",
    captchaInvalid: "验证码不正确",
    captchaExpired: "验证码已过期",
  } as Record<string, string>,
  en: {
    required: "This field is required",
    invalid: "Invalid format",
    tooLong: "Too long",
    captchaInvalid: "Wrong captcha",
    captchaExpired: "The captcha has expired",
  } as Record<string, string>,
};
