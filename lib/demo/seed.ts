import type { Db } from "../db";
import type { Config } from "../config";

/**
 * Demo data for `npm start`: development CA, fee tiers, demo holders for every case and their virtual
 * tokens, demo staff. Idempotent: a second start adds nothing. Returns lines to print.
 */
export async function seedDemo(db: Db, config: Config): Promise<string[]> {
  void db;
  void config;
  return [];
}
