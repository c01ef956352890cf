-- CreateEnum
CREATE TYPE "UpstreamRevocationState" AS ENUM ('pending', 'confirmed', 'refused');

-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "chainDer" BYTEA;

-- AlterTable
ALTER TABLE "RenewalOrder" ADD COLUMN     "upstreamAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "upstreamLastError" TEXT,
ADD COLUMN     "upstreamLeaseUntil" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "TokenRecord" ADD COLUMN     "adminPinEnc" TEXT,
ADD COLUMN     "adminPinUnknown" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "UpstreamRevocation" (
    "id" TEXT NOT NULL,
    "certificateId" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "reason" INTEGER NOT NULL,
    "transactionId" TEXT NOT NULL,
    "state" "UpstreamRevocationState" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "leaseOwner" TEXT,
    "lastError" TEXT,
    "requestedBy" TEXT NOT NULL,
    "locale" TEXT NOT NULL DEFAULT 'zh-CN',
    "mailTo" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "confirmedAt" TIMESTAMP(3),

    CONSTRAINT "UpstreamRevocation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "UpstreamRevocation_certificateId_key" ON "UpstreamRevocation"("certificateId");

-- CreateIndex
CREATE UNIQUE INDEX "UpstreamRevocation_transactionId_key" ON "UpstreamRevocation"("transactionId");

-- CreateIndex
CREATE INDEX "UpstreamRevocation_state_nextAttemptAt_idx" ON "UpstreamRevocation"("state", "nextAttemptAt");
