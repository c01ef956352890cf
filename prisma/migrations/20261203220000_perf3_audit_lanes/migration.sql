-- perf3 (#22): the audit chain in lanes, 16 independent hash chains each with its own head row.
-- Every event so far is in lane 1, whose head is the former single head.
ALTER TABLE "AuditEvent" ADD COLUMN "lane" INTEGER NOT NULL DEFAULT 1;

ALTER TABLE "AuditHead" ADD COLUMN "seq" INTEGER NOT NULL DEFAULT 0;

UPDATE "AuditHead" SET "seq" = COALESCE((SELECT max("seq") FROM "AuditEvent"), 0) WHERE "id" = 1;

-- each new lane starts at a hash of its own (lib/audit/chain.ts laneGenesis)
INSERT INTO "AuditHead" ("id", "hash", "seq")
SELECT g, encode(sha256(convert_to('certrenew-audit-lane-' || g, 'UTF8')), 'hex'), 0 FROM generate_series(2, 16) AS g;
