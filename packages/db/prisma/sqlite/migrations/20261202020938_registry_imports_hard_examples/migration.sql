-- CreateTable
CREATE TABLE "RegisteredModel" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "runId" TEXT NOT NULL,
    "testAccuracy" REAL,
    "sizeBytes" INTEGER NOT NULL,
    "description" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ModelVersion_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "RegisteredModel" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ModelVersion_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ModelAlias" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelId" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ModelAlias_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "RegisteredModel" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ModelAlias_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "ModelVersion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AliasEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelId" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "fromVersion" INTEGER,
    "toVersion" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AliasEvent_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "RegisteredModel" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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
    "codeVersion" TEXT,
    "error" TEXT,
    "epochsPlanned" INTEGER NOT NULL,
    "epochsCompleted" INTEGER NOT NULL DEFAULT 0,
    "bestEpoch" INTEGER,
    "bestValAccuracy" REAL,
    "bestValLoss" REAL,
    "testAccuracy" REAL,
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
    "kerasVersion" TEXT
);
INSERT INTO "new_Run" ("architecture", "backend", "backendNote", "bestEpoch", "bestValAccuracy", "bestValLoss", "cancelRequested", "codeVersion", "config", "createdAt", "datasetChecksum", "durationMs", "epochsCompleted", "epochsPlanned", "error", "finishedAt", "id", "imagesPerSec", "leaseExpiresAt", "name", "parentRunId", "progress", "seed", "startedAt", "status", "testAccuracy", "testLoss", "updatedAt", "workerId") SELECT "architecture", "backend", "backendNote", "bestEpoch", "bestValAccuracy", "bestValLoss", "cancelRequested", "codeVersion", "config", "createdAt", "datasetChecksum", "durationMs", "epochsCompleted", "epochsPlanned", "error", "finishedAt", "id", "imagesPerSec", "leaseExpiresAt", "name", "parentRunId", "progress", "seed", "startedAt", "status", "testAccuracy", "testLoss", "updatedAt", "workerId" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_status_createdAt_idx" ON "Run"("status", "createdAt");
CREATE INDEX "Run_architecture_idx" ON "Run"("architecture");
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");
CREATE INDEX "Run_testAccuracy_idx" ON "Run"("testAccuracy");
CREATE INDEX "Run_name_idx" ON "Run"("name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "RegisteredModel_name_key" ON "RegisteredModel"("name");

-- CreateIndex
CREATE INDEX "ModelVersion_runId_idx" ON "ModelVersion"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_modelId_version_key" ON "ModelVersion"("modelId", "version");

-- CreateIndex
CREATE INDEX "ModelAlias_versionId_idx" ON "ModelAlias"("versionId");

-- CreateIndex
CREATE UNIQUE INDEX "ModelAlias_modelId_alias_key" ON "ModelAlias"("modelId", "alias");

-- CreateIndex
CREATE INDEX "AliasEvent_modelId_createdAt_idx" ON "AliasEvent"("modelId", "createdAt");

-- CreateIndex
CREATE INDEX "Misclassified_testIndex_idx" ON "Misclassified"("testIndex");
