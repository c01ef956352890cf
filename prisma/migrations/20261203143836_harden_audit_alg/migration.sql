-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "alg" TEXT NOT NULL DEFAULT 'sha256';
