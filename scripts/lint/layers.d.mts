import type { Rule } from "eslint";

/** Types for layers.mjs (tsconfig has no allowJs). */
export type Target = { path: string } | { pkg: string } | null;
export function resolveImport(from: string, spec: string): Target;
export const importsRule: Rule.RuleModule;
declare const plugin: { meta: { name: string }; rules: { imports: Rule.RuleModule } };
export default plugin;
