-- perf2: the audit chain's head, one row, started at the newest event (or the genesis hash)
CREATE TABLE "AuditHead" (
    "id" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditHead_pkey" PRIMARY KEY ("id")
);

INSERT INTO "AuditHead" ("id", "hash")
SELECT 1, COALESCE((SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1), repeat('0', 64));
