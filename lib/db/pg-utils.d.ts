/** node-postgres' own conversion of a parameter to its text (Dates, Buffers, arrays, objects as JSON). */
declare module "pg/lib/utils.js" {
  export function prepareValue(value: unknown): unknown;
}
