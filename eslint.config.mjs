import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";
import layers from "./scripts/lint/layers.mjs";
import { LAYERS } from "./scripts/lint/layer-table.mjs";

/**
 * `npm run lint`. Layering (which folder may import which) is the in-repo rule `layers/imports`; its table is
 * scripts/lint/layer-table.mjs, and scripts/lint/formatter.mjs sums its findings up by folder pair.
 * Formatting is Prettier's business (`npm run format`), not ESLint's.
 */

const node = Object.fromEntries(
  [
    "process",
    "console",
    "Buffer",
    "URL",
    "URLSearchParams",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "setImmediate",
    "structuredClone",
    "fetch",
  ].map((g) => [g, "readonly"]),
);
const commonjs = { require: "readonly", module: "writable", exports: "writable", __dirname: "readonly" };

export default defineConfig([
  globalIgnores([
    ".next/",
    ".data/",
    "dist/",
    // npm run build's release folder (bundles and production node_modules)
    "release/",
    "lib/generated/",
    "prisma/migrations/",
    "tests/artifacts/",
    "test-results/",
    "playwright-report/",
    "next-env.d.ts",
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { layers },
    rules: {
      "layers/imports": ["error", LAYERS],
      eqeqeq: ["error", "smart"],
      "no-var": "error",
      "prefer-const": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Type-aware, but only the promise rules: a forgotten await (on a write inside a transaction, say) is the
    // bug types catch best here; the rest of recommendedTypeChecked mostly restates what tsc already knows.
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // async event handlers (onSubmit, process.on, setInterval) that catch their own errors are fine
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
    },
  },
  {
    files: ["app/**/*.tsx", "components/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "next/link", message: "Use @/components/Link (no prefetching: see there why)." }] },
      ],
    },
  },
  { files: ["components/Link.tsx"], rules: { "no-restricted-imports": "off" } },
  { files: ["**/*.mjs", "**/*.js"], languageOptions: { globals: node } },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...node, ...commonjs } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
]);
