-- AlterTable
ALTER TABLE "Invoice" ADD COLUMN     "emailConfirmedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "InvoiceEmailConfirmation" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InvoiceEmailConfirmation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InvoiceEmailConfirmation_tokenHash_key" ON "InvoiceEmailConfirmation"("tokenHash");

-- CreateIndex
CREATE INDEX "InvoiceEmailConfirmation_orderId_idx" ON "InvoiceEmailConfirmation"("orderId");

-- CreateIndex
CREATE INDEX "InvoiceEmailConfirmation_expiresAt_idx" ON "InvoiceEmailConfirmation"("expiresAt");

-- Invoices whose address is the handler's own need no confirmation
UPDATE "Invoice" AS i SET "emailConfirmedAt" = i."updatedAt"
FROM "RenewalOrder" AS o
WHERE o."id" = i."orderId" AND o."handlerEmail" <> '' AND lower(btrim(o."handlerEmail")) = i."email";
