-- CreateIndex
CREATE INDEX "RenewalOrder_state_createdAt_idx" ON "RenewalOrder"("state", "createdAt");

-- CreateIndex
CREATE INDEX "RenewalOrder_updatedAt_idx" ON "RenewalOrder"("updatedAt");
