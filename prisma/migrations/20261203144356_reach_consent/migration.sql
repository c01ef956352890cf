-- AlterTable
ALTER TABLE "RenewalOrder" ADD COLUMN     "agreementVersion" TEXT,
ADD COLUMN     "consentAt" TIMESTAMP(3),
ADD COLUMN     "handlerAnonymisedAt" TIMESTAMP(3),
ADD COLUMN     "privacyVersion" TEXT;
