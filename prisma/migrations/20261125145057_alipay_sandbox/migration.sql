-- CreateTable
CREATE TABLE "SandboxTrade" (
    "tradeNo" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "outTradeNo" TEXT NOT NULL,
    "totalFen" INTEGER NOT NULL,
    "subject" TEXT NOT NULL,
    "notifyUrl" TEXT,
    "status" TEXT NOT NULL,
    "timeoutAt" TIMESTAMP(3) NOT NULL,
    "scannedAt" TIMESTAMP(3),
    "paidAt" TIMESTAMP(3),
    "buyerLogonId" TEXT,
    "refunds" JSONB NOT NULL DEFAULT '[]',
    "faults" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SandboxTrade_pkey" PRIMARY KEY ("tradeNo")
);

-- CreateTable
CREATE TABLE "SandboxNotify" (
    "id" TEXT NOT NULL,
    "tradeNo" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "lastResult" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SandboxNotify_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SandboxTrade_outTradeNo_key" ON "SandboxTrade"("outTradeNo");

-- CreateIndex
CREATE INDEX "SandboxNotify_state_nextAttemptAt_idx" ON "SandboxNotify"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "SandboxNotify_tradeNo_idx" ON "SandboxNotify"("tradeNo");
