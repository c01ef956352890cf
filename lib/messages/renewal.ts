import { messageArea } from "./area";

/** Names of the renewal domain's codes (ID types, certificate kinds, payer classes). */
export const renewal = messageArea({
  "zh-CN": {
    idType: {
      resident_id: "居民身份证",
      hk_macao_permit: "港澳居民来往内地通行证",
      taiwan_permit: "台湾居民来往大陆通行证",
      passport: "护照",
      foreign_permanent_resident: "外国人永久居留身份证",
    },
    certType: { personal: "个人证书", organisation: "机构证书" },
    payerClass: { self: "自付费", unified: "统一付费" },
    noPaymentNeeded: "无需支付",
  },
  en: {
    idType: {
      resident_id: "Resident identity card",
      hk_macao_permit: "Mainland travel permit for Hong Kong and Macao residents",
      taiwan_permit: "Mainland travel permit for Taiwan residents",
      passport: "Passport",
      foreign_permanent_resident: "Foreign permanent resident ID card",
    },
    certType: { personal: "Personal certificate", organisation: "Organisation certificate" },
    payerClass: { self: "Self-paying", unified: "Unified payment" },
    noPaymentNeeded: "No payment needed",
  },
});
