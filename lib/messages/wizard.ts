export const wizard = {
  "zh-CN": {},
  en: {},
};
