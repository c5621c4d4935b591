-- CreateTable
CREATE TABLE "RunTag" (
    "runId" TEXT NOT NULL,
    "tag" TEXT NOT NULL,

    PRIMARY KEY ("runId", "tag"),
    CONSTRAINT "RunTag_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RunParam" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "numValue" REAL,
    "textValue" TEXT,

    PRIMARY KEY ("runId", "key"),
    CONSTRAINT "RunParam_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Sweep" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "method" TEXT NOT NULL,
    "objective" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'RUNNING',
    "trialBudget" INTEGER NOT NULL,
    "maxConcurrent" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "architecture" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "seed" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "backend" TEXT,
    "backendNote" TEXT,
    "datasetChecksum" TEXT,
    "datasetDir" TEXT,
    "datasetSource" TEXT,
    "datasetSubset" TEXT,
    "codeVersion" TEXT,
    "error" TEXT,
    "epochsPlanned" INTEGER NOT NULL,
    "epochsCompleted" INTEGER NOT NULL DEFAULT 0,
    "bestEpoch" INTEGER,
    "bestValAccuracy" REAL,
    "bestValLoss" REAL,
    "testAccuracy" REAL,
    "testAccuracyTta" REAL,
    "testLoss" REAL,
    "durationMs" INTEGER,
    "imagesPerSec" REAL,
    "progress" JSONB,
    "workerId" TEXT,
    "leaseExpiresAt" DATETIME,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "parentRunId" TEXT,
    "kind" TEXT NOT NULL DEFAULT 'trained',
    "sourceFileName" TEXT,
    "sourceSha256" TEXT,
    "sourceFormat" TEXT,
    "kerasVersion" TEXT,
    "note" TEXT,
    "sweepId" TEXT,
    "trialNumber" INTEGER,
    CONSTRAINT "Run_sweepId_fkey" FOREIGN KEY ("sweepId") REFERENCES "Sweep" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("architecture", "backend", "backendNote", "bestEpoch", "bestValAccuracy", "bestValLoss", "cancelRequested", "codeVersion", "config", "createdAt", "datasetChecksum", "datasetDir", "datasetSource", "datasetSubset", "durationMs", "epochsCompleted", "epochsPlanned", "error", "finishedAt", "id", "imagesPerSec", "kerasVersion", "kind", "leaseExpiresAt", "name", "parentRunId", "progress", "seed", "sourceFileName", "sourceFormat", "sourceSha256", "startedAt", "status", "testAccuracy", "testAccuracyTta", "testLoss", "updatedAt", "workerId") SELECT "architecture", "backend", "backendNote", "bestEpoch", "bestValAccuracy", "bestValLoss", "cancelRequested", "codeVersion", "config", "createdAt", "datasetChecksum", "datasetDir", "datasetSource", "datasetSubset", "durationMs", "epochsCompleted", "epochsPlanned", "error", "finishedAt", "id", "imagesPerSec", "kerasVersion", "kind", "leaseExpiresAt", "name", "parentRunId", "progress", "seed", "sourceFileName", "sourceFormat", "sourceSha256", "startedAt", "status", "testAccuracy", "testAccuracyTta", "testLoss", "updatedAt", "workerId" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_status_createdAt_idx" ON "Run"("status", "createdAt");
CREATE INDEX "Run_architecture_idx" ON "Run"("architecture");
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");
CREATE INDEX "Run_testAccuracy_idx" ON "Run"("testAccuracy");
CREATE INDEX "Run_name_idx" ON "Run"("name");
CREATE UNIQUE INDEX "Run_sweepId_trialNumber_key" ON "Run"("sweepId", "trialNumber");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "RunTag_tag_idx" ON "RunTag"("tag");

-- CreateIndex
CREATE INDEX "RunParam_key_numValue_idx" ON "RunParam"("key", "numValue");

-- CreateIndex
CREATE INDEX "RunParam_key_textValue_idx" ON "RunParam"("key", "textValue");

-- CreateIndex
CREATE INDEX "Sweep_createdAt_idx" ON "Sweep"("createdAt");

-- Backfill: one RunParam row per scalar field of every existing run config (the run name is not a
-- parameter, and objects such as the resolved dataset of old runs are not scalars).
INSERT INTO "RunParam" ("runId", "key", "numValue", "textValue")
SELECT r."id", j.key,
  CASE j.type WHEN 'integer' THEN j.value WHEN 'real' THEN j.value WHEN 'true' THEN 1 WHEN 'false' THEN 0 END,
  CASE WHEN j.type = 'text' THEN j.value END
FROM "Run" r, json_each(r."config") j
WHERE json_valid(r."config") AND json_type(r."config") = 'object' AND j.type IN ('integer', 'real', 'true', 'false', 'text') AND j.key <> 'name';
