/**
 * Masking for display: ID numbers, phones, names and mail addresses are never shown in full once entered.
 * No Node imports: used in the browser.
 */

function keepEnds(chars: string[], head: number, tail: number): string {
  return (
    chars.slice(0, head).join("") + "*".repeat(chars.length - head - tail) + chars.slice(chars.length - tail).join("")
  );
}

/** '370102199001011234' → '3701**********1234'; shorter numbers keep less, and at least half is hidden. */
export function maskIdNumber(v: string): string {
  const chars = [...v];
  const n = chars.length;
  if (n === 0) return "";
  const keep = n >= 12 ? 4 : n >= 8 ? 2 : n >= 4 ? 1 : 0;
  return keepEnds(chars, keep, keep);
}

/** '13812345678' → '138****5678' */
export function maskMobile(v: string): string {
  const chars = [...v];
  if (chars.length >= 11) return keepEnds(chars, 3, 4);
  return maskIdNumber(v);
}

/** '张三' → '张*', '张三丰' → '张*丰', 'John Smith' → 'J********h' */
export function maskName(v: string): string {
  const chars = [...v.trim()];
  if (chars.length <= 1) return chars.length ? "*" : "";
  if (chars.length === 2) return `${chars[0]}*`;
  return keepEnds(chars, 1, 1);
}

/** 'zhangsan@example.com' → 'z******n@example.com' */
export function maskEmail(v: string): string {
  const at = v.lastIndexOf("@");
  if (at < 0) return maskName(v);
  const local = [...v.slice(0, at)];
  const masked = local.length <= 2 ? `${local[0] ?? ""}*` : keepEnds(local, 1, 1);
  return `${masked}${v.slice(at)}`;
}
