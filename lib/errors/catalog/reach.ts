import { defineErrors } from "../types";

/** reach (#24): consent before 确认提交, the holder-data export, admin-edited content, SMS. */
export const reachErrors = defineErrors({
  CONSENT_REQUIRED: {
    status: 422,
    "zh-CN": "请先阅读并勾选同意《数字证书订户协议》和《个人信息保护声明》，再点击“确认提交”。",
    en: "Please read and accept the subscriber agreement and the privacy notice before you confirm.",
  },
  CONSENT_OUTDATED: {
    status: 409,
    "zh-CN": "协议或声明刚刚更新，请刷新本页，阅读新版本后重新勾选同意。",
    en: "The agreement or the notice has just been updated. Please reload this page, read the new version and accept it again.",
  },
  STAFF_CONTENT_INVALID: {
    status: 422,
    "zh-CN": "内容格式不正确（{problem}），未保存。",
    en: "The content is not valid ({problem}); nothing was saved.",
  },
});
