/**
 * The type of a message area's English texts: the zh-CN texts' shape with every text widened to `string` (lists
 * stay lists, groups stay groups). A key missing in either language, or present in only one, fails `tsc`.
 */
export type Translation<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? Translation<U>[]
    : T extends object
      ? { [K in keyof T]: Translation<T[K]> }
      : T;

/** One message area in both languages: zh-CN is written first and `en` is checked against its keys. */
export function messageArea<Z extends object>(area: {
  "zh-CN": Z;
  en: NoInfer<Translation<Z>>;
}): {
  "zh-CN": Z;
  en: Translation<Z>;
} {
  return area;
}
