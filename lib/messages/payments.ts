export const payments = {
  "zh-CN": {},
  en: {},
};
