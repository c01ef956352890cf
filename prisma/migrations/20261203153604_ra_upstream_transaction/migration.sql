-- CreateTable
CREATE TABLE "UpstreamTransaction" (
    "id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UpstreamTransaction_pkey" PRIMARY KEY ("id")
);
