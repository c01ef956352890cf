/** The test database (shared with the benches, which may not import tests/). */
export { createTestDb, onPostgres } from "@/lib/dev/testing/db";
