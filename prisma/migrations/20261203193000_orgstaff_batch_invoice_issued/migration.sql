-- AlterTable
ALTER TABLE "OrgBatch" ADD COLUMN     "invoiceIssuedAt" TIMESTAMP(3),
ADD COLUMN     "invoiceIssuedBy" TEXT,
ADD COLUMN     "invoiceNo" TEXT;
