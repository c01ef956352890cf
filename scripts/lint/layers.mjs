import path from "node:path";

/**
 * ESLint rule `layers/imports`: resolves every import of a file (static, `import type`, `export … from`,
 * dynamic `import()`, `require()`, `typeof import()`) to a repository path and checks it against the layer
 * table (scripts/lint/layer-table.mjs, passed as the rule's option). Relative and `@/` imports are resolved;
 * other specifiers are npm or node packages.
 */

const TABLE_FILE = "scripts/lint/layer-table.mjs";
const EXT = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json)$/;

/**
 * What an import specifier points at, seen from `from` (a repository path like "lib/orders/machine.ts"):
 * `{ path }` inside the repository (no extension), `{ pkg }` for a package, null when it leaves the repository.
 */
export function resolveImport(from, spec) {
  let p;
  if (spec.startsWith("@/")) p = path.posix.normalize(spec.slice(2));
  else if (spec === "." || spec === ".." || spec.startsWith("./") || spec.startsWith("../"))
    p = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  else {
    const parts = spec.replace(/^node:/, "").split("/");
    return { pkg: spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0] };
  }
  if (p === ".." || p.startsWith("../")) return null;
  return { path: p.replace(EXT, "").replace(/\/$/, "") };
}

const under = (p, prefix) => p === prefix || p.startsWith(prefix + "/");

/** The lib folder of a repository path ("lib/orders/machine" → "orders"), or null outside lib/. */
function libFolder(p) {
  const parts = p.split("/");
  return parts[0] === "lib" && parts.length > 1 ? parts[1].replace(EXT, "") : null;
}

/** lib folder → { group, may: Set of folders, typeOnly: Set of folders }, from the table. */
function compile(table) {
  const kernel = Object.keys(table.kernel);
  const domain = Object.keys(table.domain);
  const expand = (entry) => (entry === "kernel" ? kernel : entry === "domain" ? domain : [entry]);
  const folders = new Map();
  const add = (group, rows, implicit) => {
    for (const [folder, list] of Object.entries(rows)) {
      const may = new Set(implicit);
      const typeOnly = new Set();
      for (const entry of list) {
        if (entry.startsWith("type:")) typeOnly.add(entry.slice(5));
        else for (const f of expand(entry)) may.add(f);
      }
      const shown = list.map((e) => (e.startsWith("type:") ? `${e.slice(5)} (types only)` : e));
      folders.set(folder, { group, list: [...(implicit.length ? ["kernel"] : []), ...shown], may, typeOnly });
    }
  };
  add("kernel", table.kernel, []);
  add("domain", table.domain, kernel);
  add("composition", table.composition, kernel);
  return folders;
}

/**
 * Why `from` may not import `target` (a resolveImport result), or null when it may. `typeOnly` tells
 * whether the import brings in types only. The reason starts with "<from folder> → <target folder>:".
 */
function violation(table, folders, from, target, typeOnly) {
  if (!target) return null;
  const top = from.split("/")[0];
  const targetTop = target.path?.split("/")[0];

  if (new RegExp(table.testFile).test(from) && top !== "tests" && top !== "bench" && target.path) {
    if (table.testsMayAlso.some((p) => under(target.path, p))) return null;
    const denied = table.outside.tests?.deny?.find((d) => under(target.path, d));
    if (denied) return `tests → ${denied}: test files never import ${denied}/`;
  }

  if (top === "lib") {
    const fromFolder = libFolder(from);
    const name = `lib/${fromFolder}`;
    if (target.pkg) {
      return table.libNeverPackages.includes(target.pkg)
        ? `${name} → ${target.pkg}: lib/ never imports ${target.pkg} (it is plain TypeScript, free of Next and React)`
        : null;
    }
    if (table.libNeverFolders.includes(targetTop)) return `${name} → ${targetTop}: lib/ never imports ${targetTop}/`;
    const toFolder = libFolder(target.path);
    if (!toFolder || toFolder === fromFolder || table.shared.includes(toFolder)) return null;
    const to = `lib/${toFolder}`;
    if (toFolder === "dev" && fromFolder !== "runtime")
      return `${name} → ${to}: only lib/runtime (and app/, scripts/, tests/) may import lib/dev`;
    const rules = folders.get(fromFolder);
    if (!rules) return `${name} → ${to}: lib/${fromFolder} is not in the layer table (${TABLE_FILE})`;
    if (!folders.has(toFolder)) return `${name} → ${to}: lib/${toFolder} is not in the layer table (${TABLE_FILE})`;
    if (rules.may.has(toFolder)) return null;
    if (rules.typeOnly.has(toFolder) && typeOnly) return null;
    const allowed = rules.list.length ? rules.list.join(", ") : "no other lib folder";
    const kernelNote =
      rules.group === "kernel" && folders.get(toFolder).group !== "kernel"
        ? " (the kernel imports no domain folder)"
        : "";
    return `${name} → ${to}: ${name} may import ${allowed}${kernelNote} (${TABLE_FILE})`;
  }

  const rule = table.outside[top];
  if (!rule || !target.path) return null;
  if (rule.allow && !rule.allow.some((a) => under(target.path, a)))
    return `${top} → ${target.path}: ${top}/ imports only ${rule.allow.join(", ")} (${TABLE_FILE})`;
  const denied = rule.deny?.find((d) => under(target.path, d));
  return denied ? `${top} → ${denied}: ${top}/ never imports ${denied}/` : null;
}

const allTypes = (specifiers, key) => specifiers.length > 0 && specifiers.every((s) => s[key] === "type");

const staticString = (node) =>
  node?.type === "Literal" && typeof node.value === "string"
    ? node.value
    : node?.type === "TemplateLiteral" && node.expressions.length === 0
      ? node.quasis[0].value.cooked
      : null;

/** @type {import("eslint").Rule.RuleModule} */
export const importsRule = {
  meta: {
    type: "problem",
    docs: { description: "imports follow the layer table in scripts/lint/layer-table.mjs" },
    schema: [{ type: "object", additionalProperties: true }],
    messages: { layer: "{{reason}}" },
  },
  create(context) {
    const table = context.options[0];
    if (!table) throw new Error("layers/imports needs the layer table as its option");
    const folders = compile(table);
    const file = path.relative(context.cwd, context.filename).split(path.sep).join("/");
    if (file.startsWith("..")) return {};
    const check = (node, spec, typeOnly) => {
      if (spec == null) return;
      const reason = violation(table, folders, file, resolveImport(file, spec), typeOnly);
      if (reason) context.report({ node, messageId: "layer", data: { reason } });
    };
    return {
      ImportDeclaration(node) {
        check(node.source, node.source.value, node.importKind === "type" || allTypes(node.specifiers, "importKind"));
      },
      ExportNamedDeclaration(node) {
        if (node.source)
          check(node.source, node.source.value, node.exportKind === "type" || allTypes(node.specifiers, "exportKind"));
      },
      ExportAllDeclaration(node) {
        check(node.source, node.source.value, node.exportKind === "type");
      },
      ImportExpression(node) {
        check(node.source, staticString(node.source), false);
      },
      CallExpression(node) {
        if (node.callee.type === "Identifier" && node.callee.name === "require" && node.arguments.length === 1)
          check(node.arguments[0], staticString(node.arguments[0]), false);
      },
      TSImportType(node) {
        // typescript-eslint 8 names the specifier `source` (older versions: argument.literal)
        const arg = "source" in node ? node.source : node.argument?.literal;
        check(node, staticString(arg?.type === "TSLiteralType" ? arg.literal : arg), true);
      },
      TSExternalModuleReference(node) {
        check(node.expression, staticString(node.expression), node.parent?.importKind === "type");
      },
    };
  },
};

/** The in-repo ESLint plugin: `plugins: { layers }`, rule `layers/imports`. */
export default { meta: { name: "layers" }, rules: { imports: importsRule } };
