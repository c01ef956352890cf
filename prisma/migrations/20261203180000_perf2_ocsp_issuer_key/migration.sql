-- perf2: pre-signed OCSP responses are keyed by (issuing CA key, serial). Rows from before carry '' and are
-- re-signed on their next request.
ALTER TABLE "OcspResponse" ADD COLUMN "issuerKeyId" TEXT NOT NULL DEFAULT '';

ALTER TABLE "OcspResponse" DROP CONSTRAINT "OcspResponse_pkey";
ALTER TABLE "OcspResponse" ADD CONSTRAINT "OcspResponse_pkey" PRIMARY KEY ("issuerKeyId", "serial");

-- CreateIndex
CREATE INDEX "OcspResponse_serial_idx" ON "OcspResponse"("serial");
