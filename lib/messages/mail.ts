export const mail = {
  "zh-CN": {},
  en: {},
};
