-- CreateEnum
CREATE TYPE "CertUsage" AS ENUM ('signing', 'encryption');

-- CreateEnum
CREATE TYPE "KmcRecoveryState" AS ENUM ('requested', 'approved', 'rejected', 'delivered');

-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "signingCertificateId" TEXT,
ADD COLUMN     "usage" "CertUsage" NOT NULL DEFAULT 'signing';

-- CreateTable
CREATE TABLE "KmcKey" (
    "id" TEXT NOT NULL,
    "certificateId" TEXT,
    "orderId" TEXT,
    "spki" BYTEA NOT NULL,
    "spkiSha256" TEXT NOT NULL,
    "escrowAlg" TEXT NOT NULL,
    "escrowed" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "KmcKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KmcRecovery" (
    "id" TEXT NOT NULL,
    "kmcKeyId" TEXT NOT NULL,
    "state" "KmcRecoveryState" NOT NULL DEFAULT 'requested',
    "reason" TEXT NOT NULL,
    "requestedById" TEXT NOT NULL,
    "approvedById" TEXT,
    "decidedAt" TIMESTAMP(3),
    "deliveredToSpki" TEXT,
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "KmcRecovery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "KmcKey_certificateId_key" ON "KmcKey"("certificateId");

-- CreateIndex
CREATE UNIQUE INDEX "KmcKey_spkiSha256_key" ON "KmcKey"("spkiSha256");

-- CreateIndex
CREATE INDEX "KmcKey_orderId_idx" ON "KmcKey"("orderId");

-- CreateIndex
CREATE INDEX "KmcRecovery_kmcKeyId_idx" ON "KmcRecovery"("kmcKeyId");

-- CreateIndex
CREATE INDEX "KmcRecovery_state_createdAt_idx" ON "KmcRecovery"("state", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_signingCertificateId_key" ON "Certificate"("signingCertificateId");

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_signingCertificateId_fkey" FOREIGN KEY ("signingCertificateId") REFERENCES "Certificate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "KmcKey" ADD CONSTRAINT "KmcKey_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "KmcRecovery" ADD CONSTRAINT "KmcRecovery_kmcKeyId_fkey" FOREIGN KEY ("kmcKeyId") REFERENCES "KmcKey"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
