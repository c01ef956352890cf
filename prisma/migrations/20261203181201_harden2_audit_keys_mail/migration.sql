-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "keyId" TEXT;

-- CreateTable
CREATE TABLE "AuditMailReport" (
    "day" TEXT NOT NULL,
    "checkpointSeq" INTEGER,
    "checkpoints" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditMailReport_pkey" PRIMARY KEY ("day")
);
