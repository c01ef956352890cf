-- AlterEnum
ALTER TYPE "KmcRecoveryState" ADD VALUE 'endorsed';

-- AlterTable
ALTER TABLE "KmcRecovery" ADD COLUMN     "endorsedAt" TIMESTAMP(3),
ADD COLUMN     "endorsedById" TEXT,
ADD COLUMN     "holderCertificateId" TEXT,
ALTER COLUMN "requestedById" DROP NOT NULL;
