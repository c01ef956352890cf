export const services = {
  "zh-CN": {},
  en: {},
};
