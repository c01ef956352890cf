-- AlterTable
ALTER TABLE "RenewalOrder" ADD COLUMN     "notifySms" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "SmsOutbox" (
    "id" TEXT NOT NULL,
    "toEnc" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "orderId" TEXT,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "bizId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "SmsOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DevSms" (
    "id" TEXT NOT NULL,
    "phone" TEXT NOT NULL,
    "signName" TEXT NOT NULL,
    "templateCode" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "content" TEXT NOT NULL,
    "bizId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DevSms_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SmsOutbox_state_nextAttemptAt_idx" ON "SmsOutbox"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "SmsOutbox_orderId_idx" ON "SmsOutbox"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "DevSms_bizId_key" ON "DevSms"("bizId");

-- CreateIndex
CREATE INDEX "DevSms_phone_createdAt_idx" ON "DevSms"("phone", "createdAt");

-- CreateIndex
CREATE INDEX "DevSms_createdAt_idx" ON "DevSms"("createdAt");
