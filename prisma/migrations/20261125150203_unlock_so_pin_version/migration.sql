-- AlterTable
ALTER TABLE "UnlockRequest" ADD COLUMN     "soPinAlt" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "soPinVersion" INTEGER;

-- CreateIndex
CREATE INDEX "UnlockRequest_tokenSerial_createdAt_idx" ON "UnlockRequest"("tokenSerial", "createdAt");
