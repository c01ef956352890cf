import { createMigration } from "../lib/db/migrate";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/i.test(name)) {
  console.error("usage: npm run db:migrate:new -- NAME   (letters, digits and _ only)");
  process.exit(2);
}
const dir = await createMigration(name);
console.log(
  dir
    ? `wrote prisma/migrations/${dir}/migration.sql`
    : "schema.prisma and the migrations already agree: nothing to write",
);
process.exit(0);
