-- CreateEnum
CREATE TYPE "OrgBatchKind" AS ENUM ('alipay', 'contract');

-- CreateEnum
CREATE TYPE "OrgBatchState" AS ENUM ('awaiting_payment', 'paid', 'covered', 'closed');

-- CreateEnum
CREATE TYPE "OrgItemState" AS ENUM ('pending', 'covered', 'refunded', 'void');

-- AlterEnum
ALTER TYPE "SessionKind" ADD VALUE 'org';

-- AlterTable
ALTER TABLE "Certificate" ADD COLUMN     "consoleOrganisationId" TEXT,
ADD COLUMN     "organisationId" TEXT;

-- CreateTable
CREATE TABLE "Organisation" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "creditCode" TEXT NOT NULL,
    "contactEmail" TEXT NOT NULL,
    "locale" TEXT NOT NULL DEFAULT 'zh-CN',
    "contractNo" TEXT,
    "contractUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organisation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrgBatch" (
    "id" TEXT NOT NULL,
    "batchNo" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "kind" "OrgBatchKind" NOT NULL,
    "state" "OrgBatchState" NOT NULL,
    "totalFen" INTEGER NOT NULL,
    "paymentDeadline" TIMESTAMP(3),
    "alipayTradeNo" TEXT,
    "paidFen" INTEGER,
    "paidAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,
    "invoiceType" TEXT,
    "invoiceTitle" TEXT,
    "invoiceTaxpayer" TEXT,
    "invoiceEmail" TEXT,
    "invoiceAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrgBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrgBatchItem" (
    "id" TEXT NOT NULL,
    "batchId" TEXT NOT NULL,
    "certificateId" TEXT NOT NULL,
    "activeCertificateId" TEXT,
    "certSerial" TEXT NOT NULL,
    "holderName" TEXT NOT NULL,
    "priceFen" INTEGER NOT NULL,
    "feeTierId" TEXT,
    "state" "OrgItemState" NOT NULL,
    "orderId" TEXT,
    "refundNo" TEXT,
    "refundedAt" TIMESTAMP(3),
    "refundedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrgBatchItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrgReminderSent" (
    "organisationId" TEXT NOT NULL,
    "certificateId" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrgReminderSent_pkey" PRIMARY KEY ("organisationId","certificateId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_creditCode_key" ON "Organisation"("creditCode");

-- CreateIndex
CREATE UNIQUE INDEX "OrgBatch_batchNo_key" ON "OrgBatch"("batchNo");

-- CreateIndex
CREATE INDEX "OrgBatch_organisationId_createdAt_idx" ON "OrgBatch"("organisationId", "createdAt");

-- CreateIndex
CREATE INDEX "OrgBatch_state_paymentDeadline_idx" ON "OrgBatch"("state", "paymentDeadline");

-- CreateIndex
CREATE UNIQUE INDEX "OrgBatchItem_activeCertificateId_key" ON "OrgBatchItem"("activeCertificateId");

-- CreateIndex
CREATE UNIQUE INDEX "OrgBatchItem_orderId_key" ON "OrgBatchItem"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "OrgBatchItem_refundNo_key" ON "OrgBatchItem"("refundNo");

-- CreateIndex
CREATE INDEX "OrgBatchItem_batchId_idx" ON "OrgBatchItem"("batchId");

-- CreateIndex
CREATE INDEX "OrgBatchItem_certificateId_idx" ON "OrgBatchItem"("certificateId");

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_consoleOrganisationId_fkey" FOREIGN KEY ("consoleOrganisationId") REFERENCES "Organisation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrgBatch" ADD CONSTRAINT "OrgBatch_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrgBatchItem" ADD CONSTRAINT "OrgBatchItem_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "OrgBatch"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrgBatchItem" ADD CONSTRAINT "OrgBatchItem_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrgReminderSent" ADD CONSTRAINT "OrgReminderSent_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
