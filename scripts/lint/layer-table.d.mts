/** Types for layer-table.mjs (tsconfig has no allowJs). */
export type Rows = Record<string, string[]>;
export const KERNEL: Rows;
export const DOMAIN: Rows;
export const COMPOSITION: Rows;
export const SHARED: string[];
export const LIB_NEVER_PACKAGES: string[];
export const LIB_NEVER_FOLDERS: string[];
export const OUTSIDE: Record<string, { allow?: string[]; deny?: string[] }>;
export const TEST_FILE: RegExp;
export const TESTS_MAY_ALSO: string[];
export interface LayerTable {
  kernel: Rows;
  domain: Rows;
  composition: Rows;
  shared: string[];
  libNeverPackages: string[];
  libNeverFolders: string[];
  outside: Record<string, { allow?: string[]; deny?: string[] }>;
  testFile: string;
  testsMayAlso: string[];
}
export const LAYERS: LayerTable;
