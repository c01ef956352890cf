import path from "node:path";

export const PRISMA_DIR = path.join(process.cwd(), "prisma");
export const MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");
