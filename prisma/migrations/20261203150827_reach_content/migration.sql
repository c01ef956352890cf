-- CreateTable
CREATE TABLE "ContentEntry" (
    "key" TEXT NOT NULL,
    "locale" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedBy" TEXT,

    CONSTRAINT "ContentEntry_pkey" PRIMARY KEY ("key","locale")
);
