import { defineErrors } from "../types";

/** The certificate assistant (agent/) and its browser client (lib/token/client.ts). */
export const tokenErrors = defineErrors({
  ASSISTANT_NOT_RUNNING: {
    status: 503,
    "zh-CN": "未检测到证书助手。请从下载中心安装并启动证书助手后刷新本页。",
    en: "The certificate assistant is not running. Install it from the download centre, start it and reload this page.",
  },
  ASSISTANT_OUTDATED: {
    status: 426,
    "zh-CN": "证书助手版本过旧（当前 {version}，需要 {required} 或更高），请从下载中心下载新版本。",
    en: "The certificate assistant is out of date (version {version}, {required} or later needed). Please download the new version from the download centre.",
  },
  ASSISTANT_TIMEOUT: {
    status: 504,
    "zh-CN": "证书助手响应超时，请重新插拔 U-Key 后重试。",
    en: "The certificate assistant did not answer in time. Re-plug the key and try again.",
  },
  LNA_DENIED: {
    status: 403,
    "zh-CN":
      "浏览器阻止了本页访问本机的证书助手。请点击地址栏左侧的网站设置图标，将“本地网络访问”设为“允许”，然后刷新本页。",
    en: "The browser blocked this page from reaching the certificate assistant on this computer. Open the site settings (icon left of the address bar), set “Local network access” to Allow, then reload.",
  },
  ASSISTANT_ORIGIN_FORBIDDEN: {
    status: 403,
    "zh-CN": "证书助手只接受来自本门户网站的请求。",
    en: "The certificate assistant only accepts requests from the portal.",
  },
  ASSISTANT_HOST_FORBIDDEN: {
    status: 403,
    "zh-CN": "证书助手只能通过 127.0.0.1 或 localhost 访问。",
    en: "The certificate assistant is only reachable as 127.0.0.1 or localhost.",
  },
  TOKEN_NOT_PRESENT: {
    status: 404,
    "zh-CN": "未检测到 U-Key，请插入 U-Key 后刷新；若仍未显示证书名称，请重新插拔。",
    en: "No key found. Insert your key and reload; if the certificate name still does not appear, re-plug it.",
  },
  TOKEN_NOT_FOUND: {
    status: 404,
    "zh-CN": "找不到这个 U-Key，请确认它仍已插入。",
    en: "This key was not found. Check that it is still inserted.",
  },
  TOKEN_CERT_NOT_FOUND: { status: 404, "zh-CN": "U-Key 中没有这张证书。", en: "This certificate is not on the key." },
  TOKEN_REMOVED: {
    status: 409,
    "zh-CN": "操作过程中 U-Key 被拔出或无响应。请重新插入 U-Key 后重试，期间请勿拔出。",
    en: "The key was removed or stopped responding. Insert it again and retry; do not unplug it meanwhile.",
  },
  PIN_INCORRECT: {
    status: 401,
    "zh-CN": "证书密码错误，还可尝试 {triesLeft} 次。",
    en: "Wrong PIN. {triesLeft} tries left.",
  },
  PIN_INCORRECT_UNCOUNTED: {
    status: 401,
    "zh-CN": "证书密码错误，请重新输入。多次输错将锁定 U-Key。",
    en: "Wrong PIN. Please try again; too many wrong PINs lock the key.",
  },
  PIN_LOCKED: {
    status: 423,
    "zh-CN": "证书密码已锁定。请使用“证书在线解锁”，或携带 U-Key 前往德州政务服务中心（96701666）。",
    en: "The PIN is locked. Use online PIN unlock, or bring the key to the Dezhou Government Service Centre (96701666).",
  },
  PIN_INVALID: {
    status: 422,
    "zh-CN": "证书密码须为 4 至 8 位字母、数字或符号。",
    en: "The PIN must be 4 to 8 letters, digits or symbols.",
  },
  SO_PIN_INCORRECT: {
    status: 401,
    "zh-CN": "解锁失败：U-Key 管理密码不正确，请联系服务中心。",
    en: "Unlock failed: the key's administrator PIN was not accepted. Please contact the service centre.",
  },
  SO_PIN_LOCKED: {
    status: 423,
    "zh-CN": "U-Key 管理密码已锁定，请携带 U-Key 前往德州政务服务中心。",
    en: "The key's administrator PIN is locked. Please bring the key to the Dezhou Government Service Centre.",
  },
  CHALLENGE_REFUSED: {
    status: 400,
    "zh-CN": "证书助手拒绝签名：这不是本门户的有效验证请求（{reason}）。",
    en: "The certificate assistant refused to sign: this is not a valid portal challenge ({reason}).",
  },
  TOKEN_NO_PENDING_KEY: {
    status: 409,
    "zh-CN": "U-Key 中没有与新证书匹配的待安装密钥，请重新申请下证。",
    en: "The key holds no pending key pair matching the new certificate. Please request the download again.",
  },
  TOKEN_BUNDLE_INVALID: {
    status: 400,
    "zh-CN": "新证书数据无法解析。",
    en: "The new certificate bundle could not be read.",
  },
  TOKEN_KEY_UNSUPPORTED: {
    status: 422,
    "zh-CN": "U-Key 不支持此证书的密钥算法（{algorithm}）。",
    en: "The key does not support this certificate's key algorithm ({algorithm}).",
  },
  TOKEN_MIDDLEWARE_ERROR: {
    status: 502,
    "zh-CN":
      "U-Key 驱动程序 {library} 出错（{reason}）。请重新插拔 U-Key 后重试；若仍失败，请重新安装该 U-Key 的驱动。",
    en: "The key's driver {library} failed ({reason}). Re-plug the key and try again; if it keeps failing, reinstall the key's driver.",
  },
  TOKEN_OPERATION_FAILED: {
    status: 502,
    "zh-CN": "U-Key 操作失败（{reason}），请重新插拔后重试。",
    en: "The key operation failed ({reason}). Re-plug the key and try again.",
  },
});
