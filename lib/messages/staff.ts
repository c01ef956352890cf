export const staff = {
  "zh-CN": {},
  en: {},
};
