-- CreateEnum
CREATE TYPE "CertType" AS ENUM ('personal', 'organisation');

-- CreateEnum
CREATE TYPE "PayerClass" AS ENUM ('self', 'unified');

-- CreateEnum
CREATE TYPE "CertStatus" AS ENUM ('active', 'revoked', 'superseded');

-- CreateEnum
CREATE TYPE "OrderState" AS ENUM ('draft', 'submitted', 'awaiting_payment', 'paid', 'issuing', 'issued', 'installed', 'cancelled', 'expired', 'refund_pending', 'refunded');

-- CreateEnum
CREATE TYPE "StaffRole" AS ENUM ('helpdesk', 'finance', 'admin', 'auditor');

-- CreateEnum
CREATE TYPE "SessionKind" AS ENUM ('holder', 'staff');

-- CreateEnum
CREATE TYPE "MailState" AS ENUM ('pending', 'sent', 'failed');

-- CreateEnum
CREATE TYPE "RefundState" AS ENUM ('pending', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "Certificate" (
    "id" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "subjectDn" TEXT NOT NULL,
    "issuerDn" TEXT NOT NULL,
    "holderName" TEXT NOT NULL,
    "holderIdType" TEXT NOT NULL,
    "holderIdEnc" TEXT NOT NULL,
    "holderIdHash" TEXT NOT NULL,
    "holderIdLast4" TEXT NOT NULL,
    "email" TEXT,
    "certType" "CertType" NOT NULL,
    "payerClass" "PayerClass" NOT NULL,
    "keyAlgorithm" TEXT NOT NULL,
    "spkiSha256" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "status" "CertStatus" NOT NULL DEFAULT 'active',
    "revokedAt" TIMESTAMP(3),
    "revocationReason" INTEGER,
    "der" BYTEA NOT NULL,
    "tokenSerial" TEXT,
    "previousId" TEXT,
    "reminderOptOut" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FeeTier" (
    "id" TEXT NOT NULL,
    "certType" "CertType" NOT NULL,
    "payerClass" "PayerClass" NOT NULL,
    "fenPerYear" INTEGER NOT NULL,
    "effectiveFrom" TIMESTAMP(3) NOT NULL,
    "effectiveTo" TIMESTAMP(3),
    "note" TEXT,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FeeTier_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RenewalOrder" (
    "id" TEXT NOT NULL,
    "orderNo" TEXT NOT NULL,
    "certificateId" TEXT NOT NULL,
    "openCertificateId" TEXT,
    "state" "OrderState" NOT NULL DEFAULT 'draft',
    "version" INTEGER NOT NULL DEFAULT 0,
    "certSerial" TEXT NOT NULL,
    "holderName" TEXT NOT NULL,
    "certType" "CertType" NOT NULL,
    "payerClass" "PayerClass" NOT NULL,
    "feeTierId" TEXT,
    "fenPerYear" INTEGER NOT NULL,
    "years" INTEGER NOT NULL,
    "priceFen" INTEGER NOT NULL,
    "newNotAfter" TIMESTAMP(3) NOT NULL,
    "handlerName" TEXT NOT NULL,
    "handlerIdType" TEXT NOT NULL,
    "handlerIdEnc" TEXT NOT NULL,
    "handlerIdLast4" TEXT NOT NULL,
    "handlerMobileEnc" TEXT NOT NULL,
    "handlerMobileLast4" TEXT NOT NULL,
    "handlerEmail" TEXT NOT NULL,
    "locale" TEXT NOT NULL DEFAULT 'zh-CN',
    "paymentDeadline" TIMESTAMP(3),
    "alipayTradeNo" TEXT,
    "paidFen" INTEGER,
    "paidAt" TIMESTAMP(3),
    "csrDer" BYTEA,
    "newSpkiSha256" TEXT,
    "issuedCertificateId" TEXT,
    "issuedAt" TIMESTAMP(3),
    "installedAt" TIMESTAMP(3),
    "flagged" BOOLEAN NOT NULL DEFAULT false,
    "flagReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RenewalOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "seq" SERIAL NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorId" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT,
    "fromState" TEXT,
    "toState" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "StaffUser" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "displayName" TEXT,
    "passwordHash" TEXT NOT NULL,
    "role" "StaffRole" NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "failedLogins" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMP(3),
    "totpSecret" TEXT,
    "passwordChangedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StaffUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "kind" "SessionKind" NOT NULL,
    "staffUserId" TEXT,
    "certificateId" TEXT,
    "csrfToken" TEXT NOT NULL,
    "ip" TEXT,
    "userAgent" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Challenge" (
    "id" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Challenge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Captcha" (
    "id" TEXT NOT NULL,
    "answerHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Captcha_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "resetAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RateLimit_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "IdempotencyKey" (
    "key" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "response" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "JobLease" (
    "name" TEXT NOT NULL,
    "owner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "lastRunAt" TIMESTAMP(3),
    "lastResult" JSONB,

    CONSTRAINT "JobLease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "PaymentEvent" (
    "id" TEXT NOT NULL,
    "orderId" TEXT,
    "outTradeNo" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "tradeStatus" TEXT,
    "tradeNo" TEXT,
    "amountFen" INTEGER,
    "verified" BOOLEAN NOT NULL,
    "outcome" TEXT NOT NULL,
    "raw" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PaymentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Refund" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "outRequestNo" TEXT NOT NULL,
    "amountFen" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "state" "RefundState" NOT NULL DEFAULT 'pending',
    "requestedBy" TEXT,
    "automatic" BOOLEAN NOT NULL DEFAULT false,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invoice" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "taxpayerId" TEXT,
    "email" TEXT NOT NULL,
    "issuedAt" TIMESTAMP(3),
    "issuedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MailOutbox" (
    "id" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "locale" TEXT NOT NULL DEFAULT 'zh-CN',
    "data" JSONB NOT NULL,
    "state" "MailState" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "leaseOwner" TEXT,
    "lastError" TEXT,
    "messageId" TEXT,
    "sentAt" TIMESTAMP(3),
    "orderId" TEXT,
    "certificateId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MailOutbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReminderSent" (
    "certificateId" TEXT NOT NULL,
    "thresholdDays" INTEGER NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReminderSent_pkey" PRIMARY KEY ("certificateId","thresholdDays")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "Crl" (
    "id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "crlNumber" INTEGER NOT NULL,
    "thisUpdate" TIMESTAMP(3) NOT NULL,
    "nextUpdate" TIMESTAMP(3) NOT NULL,
    "der" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Crl_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OcspResponse" (
    "serial" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "der" BYTEA NOT NULL,
    "producedAt" TIMESTAMP(3) NOT NULL,
    "nextUpdate" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OcspResponse_pkey" PRIMARY KEY ("serial")
);

-- CreateTable
CREATE TABLE "TokenRecord" (
    "tokenSerial" TEXT NOT NULL,
    "soPinVersion" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TokenRecord_pkey" PRIMARY KEY ("tokenSerial")
);

-- CreateTable
CREATE TABLE "UnlockRequest" (
    "id" TEXT NOT NULL,
    "certificateId" TEXT NOT NULL,
    "tokenSerial" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "verifiedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UnlockRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_serial_key" ON "Certificate"("serial");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_previousId_key" ON "Certificate"("previousId");

-- CreateIndex
CREATE INDEX "Certificate_notAfter_idx" ON "Certificate"("notAfter");

-- CreateIndex
CREATE INDEX "Certificate_holderIdLast4_idx" ON "Certificate"("holderIdLast4");

-- CreateIndex
CREATE INDEX "Certificate_tokenSerial_idx" ON "Certificate"("tokenSerial");

-- CreateIndex
CREATE INDEX "FeeTier_certType_payerClass_effectiveFrom_idx" ON "FeeTier"("certType", "payerClass", "effectiveFrom");

-- CreateIndex
CREATE UNIQUE INDEX "RenewalOrder_orderNo_key" ON "RenewalOrder"("orderNo");

-- CreateIndex
CREATE UNIQUE INDEX "RenewalOrder_openCertificateId_key" ON "RenewalOrder"("openCertificateId");

-- CreateIndex
CREATE UNIQUE INDEX "RenewalOrder_issuedCertificateId_key" ON "RenewalOrder"("issuedCertificateId");

-- CreateIndex
CREATE INDEX "RenewalOrder_certificateId_idx" ON "RenewalOrder"("certificateId");

-- CreateIndex
CREATE INDEX "RenewalOrder_state_updatedAt_idx" ON "RenewalOrder"("state", "updatedAt");

-- CreateIndex
CREATE INDEX "RenewalOrder_createdAt_idx" ON "RenewalOrder"("createdAt");

-- CreateIndex
CREATE INDEX "RenewalOrder_certSerial_idx" ON "RenewalOrder"("certSerial");

-- CreateIndex
CREATE INDEX "RenewalOrder_holderName_idx" ON "RenewalOrder"("holderName");

-- CreateIndex
CREATE INDEX "RenewalOrder_handlerMobileLast4_idx" ON "RenewalOrder"("handlerMobileLast4");

-- CreateIndex
CREATE INDEX "RenewalOrder_handlerIdLast4_idx" ON "RenewalOrder"("handlerIdLast4");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_hash_key" ON "AuditEvent"("hash");

-- CreateIndex
CREATE INDEX "AuditEvent_targetType_targetId_seq_idx" ON "AuditEvent"("targetType", "targetId", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_actorId_seq_idx" ON "AuditEvent"("actorId", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_action_seq_idx" ON "AuditEvent"("action", "seq");

-- CreateIndex
CREATE INDEX "AuditEvent_createdAt_idx" ON "AuditEvent"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "StaffUser_username_key" ON "StaffUser"("username");

-- CreateIndex
CREATE INDEX "Session_staffUserId_idx" ON "Session"("staffUserId");

-- CreateIndex
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Challenge_nonce_key" ON "Challenge"("nonce");

-- CreateIndex
CREATE INDEX "Challenge_expiresAt_idx" ON "Challenge"("expiresAt");

-- CreateIndex
CREATE INDEX "Captcha_expiresAt_idx" ON "Captcha"("expiresAt");

-- CreateIndex
CREATE INDEX "IdempotencyKey_createdAt_idx" ON "IdempotencyKey"("createdAt");

-- CreateIndex
CREATE INDEX "PaymentEvent_orderId_createdAt_idx" ON "PaymentEvent"("orderId", "createdAt");

-- CreateIndex
CREATE INDEX "PaymentEvent_outTradeNo_idx" ON "PaymentEvent"("outTradeNo");

-- CreateIndex
CREATE UNIQUE INDEX "Refund_outRequestNo_key" ON "Refund"("outRequestNo");

-- CreateIndex
CREATE INDEX "Refund_orderId_idx" ON "Refund"("orderId");

-- CreateIndex
CREATE INDEX "Refund_state_idx" ON "Refund"("state");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_orderId_key" ON "Invoice"("orderId");

-- CreateIndex
CREATE INDEX "MailOutbox_state_nextAttemptAt_idx" ON "MailOutbox"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "MailOutbox_orderId_idx" ON "MailOutbox"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "Crl_issuer_crlNumber_key" ON "Crl"("issuer", "crlNumber");

-- CreateIndex
CREATE INDEX "UnlockRequest_certificateId_createdAt_idx" ON "UnlockRequest"("certificateId", "createdAt");

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_previousId_fkey" FOREIGN KEY ("previousId") REFERENCES "Certificate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RenewalOrder" ADD CONSTRAINT "RenewalOrder_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RenewalOrder" ADD CONSTRAINT "RenewalOrder_feeTierId_fkey" FOREIGN KEY ("feeTierId") REFERENCES "FeeTier"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RenewalOrder" ADD CONSTRAINT "RenewalOrder_issuedCertificateId_fkey" FOREIGN KEY ("issuedCertificateId") REFERENCES "Certificate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "StaffUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaymentEvent" ADD CONSTRAINT "PaymentEvent_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "RenewalOrder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "RenewalOrder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "RenewalOrder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReminderSent" ADD CONSTRAINT "ReminderSent_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
