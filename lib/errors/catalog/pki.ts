import { defineErrors } from "../types";

export const pkiErrors = defineErrors({
  CSR_MALFORMED: {
    status: 400,
    "zh-CN": "证书请求（CSR）格式不正确，无法解析。",
    en: "The certificate request (CSR) is malformed and cannot be read.",
  },
  CSR_TOO_LARGE: {
    status: 413,
    "zh-CN": "证书请求（CSR）过大（上限 {maxBytes} 字节）。",
    en: "The certificate request (CSR) is too large (limit {maxBytes} bytes).",
  },
  CSR_INVALID_SIGNATURE: {
    status: 422,
    "zh-CN": "证书请求（CSR）的签名验证失败。",
    en: "The certificate request (CSR) signature does not verify.",
  },
  CSR_WEAK_KEY: {
    status: 422,
    "zh-CN": "密钥强度不足：仅支持 RSA 2048 位及以上或 EC P-256/P-384。",
    en: "The key is too weak: only RSA of 2048 bits or more and EC P-256/P-384 are accepted.",
  },
  CSR_UNSUPPORTED_ALGORITHM: {
    status: 422,
    "zh-CN": "不支持的密钥或签名算法（{algorithm}）。",
    en: "Unsupported key or signature algorithm ({algorithm}).",
  },
  CSR_KEY_REUSED: {
    status: 422,
    "zh-CN": "新证书须使用新的密钥对，请在证书介质中重新生成密钥。",
    en: "The renewed certificate needs a new key pair; the request reuses the old certificate's key.",
  },
  CERT_NOT_FOUND: { status: 404, "zh-CN": "未找到该证书。", en: "Certificate not found." },
  CERT_ALREADY_REVOKED: { status: 409, "zh-CN": "该证书已被注销。", en: "This certificate has already been revoked." },
  REVOCATION_REASON_INVALID: { status: 422, "zh-CN": "注销原因无效。", en: "Invalid revocation reason." },
  CERT_MALFORMED: { status: 400, "zh-CN": "证书文件格式不正确。", en: "The certificate file is malformed." },
  CERT_IMPORT_INVALID: {
    status: 422,
    "zh-CN": "导入文件有误，未导入任何证书。",
    en: "The import file has errors; nothing was imported.",
  },
  OCSP_MALFORMED: { status: 400, "zh-CN": "OCSP 请求格式不正确。", en: "The OCSP request is malformed." },
  CA_UNAVAILABLE: {
    status: 503,
    "zh-CN": "证书签发服务暂时不可用，请稍后再试。",
    en: "The certificate authority is temporarily unavailable. Please try again later.",
  },
});
