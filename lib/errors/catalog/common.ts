import { defineErrors } from "../types";

export const commonErrors = defineErrors({
  INTERNAL: {
    status: 500,
    "zh-CN": "系统繁忙，请稍后再试（请求编号 {requestId}）。",
    en: "Something went wrong on our side. Please try again later (request {requestId}).",
  },
  BAD_REQUEST: { status: 400, "zh-CN": "请求格式不正确。", en: "The request is malformed." },
  VALIDATION_FAILED: { status: 422, "zh-CN": "请检查填写的内容。", en: "Please check the highlighted fields." },
  PAYLOAD_TOO_LARGE: { status: 413, "zh-CN": "提交的内容过大。", en: "The request is too large." },
  NOT_FOUND: { status: 404, "zh-CN": "未找到相应内容。", en: "Not found." },
  CSRF_FAILED: {
    status: 403,
    "zh-CN": "页面已过期，请刷新后重试。",
    en: "This page has expired. Please reload and try again.",
  },
  UNAUTHENTICATED: { status: 401, "zh-CN": "请先登录。", en: "Please sign in first." },
  FORBIDDEN: { status: 403, "zh-CN": "您没有执行此操作的权限。", en: "You are not allowed to do this." },
  RATE_LIMITED: {
    status: 429,
    "zh-CN": "操作过于频繁，请 {retryAfter} 秒后再试。",
    en: "Too many attempts. Please try again in {retryAfter} seconds.",
  },
  DB_UNAVAILABLE: {
    status: 503,
    "zh-CN": "服务暂时不可用，请稍后重试。",
    en: "The service is temporarily unavailable. Please retry shortly.",
  },
  CONFLICT: {
    status: 409,
    "zh-CN": "数据已被其他操作更新，请刷新后重试。",
    en: "This was changed meanwhile. Please reload and try again.",
  },
  IDEMPOTENCY_MISMATCH: {
    status: 422,
    "zh-CN": "重复提交的内容与首次不一致。",
    en: "A repeated request differs from the first one with the same key.",
  },
  IN_PERSON_ONLY: {
    status: 403,
    "zh-CN": "此业务须携带材料前往德州政务服务中心现场办理，咨询电话 96701666。",
    en: "This service is only available in person at the Dezhou Government Service Centre (hotline 96701666).",
  },
});
