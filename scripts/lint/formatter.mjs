import path from "node:path";
import { ESLint } from "eslint";

/**
 * `npm run lint`'s output: ESLint's usual "stylish" list, then the layering findings summed up by folder pair
 * ("lib/orders → lib/renewal  3  lib/orders/create.ts:7, …") and the other findings by rule and folder.
 */
export default async function format(results, context) {
  const stylish = await new ESLint({ cwd: context.cwd }).loadFormatter("stylish");
  const out = [await stylish.format(results, context)];
  const layer = new Map();
  const other = new Map();
  for (const r of results) {
    const file = path.relative(context.cwd, r.filePath).split(path.sep).join("/");
    const folder = file
      .split("/")
      .slice(0, file.startsWith("lib/") || file.startsWith("app/") ? 2 : 1)
      .join("/");
    for (const m of r.messages) {
      if (m.ruleId === "layers/imports") {
        const pair = m.message.slice(0, m.message.indexOf(":"));
        layer.set(pair, [...(layer.get(pair) ?? []), `${file}:${m.line}`]);
      } else {
        const key = `${m.ruleId ?? "parse error"} in ${folder}`;
        other.set(key, (other.get(key) ?? 0) + 1);
      }
    }
  }
  const count = [...layer.values()].reduce((n, l) => n + l.length, 0);
  if (count > 0) {
    out.push(`Layering: ${count} imports break the layer table (scripts/lint/layer-table.mjs), by folder pair:`);
    for (const [pair, at] of [...layer].sort(([a], [b]) => a.localeCompare(b))) {
      const shown = at.slice(0, 3).join(", ") + (at.length > 3 ? `, +${at.length - 3} more` : "");
      out.push(`  ${pair.padEnd(34)} ${String(at.length).padStart(3)}  ${shown}`);
    }
  }
  if (other.size > 0) {
    out.push(`Other findings: ${[...other.values()].reduce((a, b) => a + b, 0)}, by rule and folder:`);
    for (const [key, n] of [...other].sort(([a], [b]) => a.localeCompare(b)))
      out.push(`  ${String(n).padStart(3)}  ${key}`);
  }
  return out.join("\n") + (count > 0 || other.size > 0 ? "\n" : "");
}
