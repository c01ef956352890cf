-- CreateTable
CREATE TABLE "CmpTransaction" (
    "transactionId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CmpTransaction_pkey" PRIMARY KEY ("transactionId")
);

-- CreateIndex
CREATE INDEX "CmpTransaction_updatedAt_idx" ON "CmpTransaction"("updatedAt");
