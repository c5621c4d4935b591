-- CreateTable
CREATE TABLE "Run" (
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
    "parentRunId" TEXT
);

-- CreateTable
CREATE TABLE "EpochMetric" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "loss" REAL NOT NULL,
    "accuracy" REAL NOT NULL,
    "valLoss" REAL,
    "valAccuracy" REAL,
    "learningRate" REAL NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "imagesPerSec" REAL NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EpochMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "testAccuracy" REAL NOT NULL,
    "testLoss" REAL NOT NULL,
    "numExamples" INTEGER NOT NULL,
    "confusionMatrix" JSONB NOT NULL,
    "report" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Evaluation_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Misclassified" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "evaluationId" TEXT NOT NULL,
    "testIndex" INTEGER NOT NULL,
    "trueLabel" INTEGER NOT NULL,
    "predLabel" INTEGER NOT NULL,
    "confidence" REAL NOT NULL,
    "probabilities" JSONB NOT NULL,
    CONSTRAINT "Misclassified_evaluationId_fkey" FOREIGN KEY ("evaluationId") REFERENCES "Evaluation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Artifact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Artifact_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Run_status_createdAt_idx" ON "Run"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Run_architecture_idx" ON "Run"("architecture");

-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");

-- CreateIndex
CREATE INDEX "Run_testAccuracy_idx" ON "Run"("testAccuracy");

-- CreateIndex
CREATE INDEX "Run_name_idx" ON "Run"("name");

-- CreateIndex
CREATE UNIQUE INDEX "EpochMetric_runId_epoch_key" ON "EpochMetric"("runId", "epoch");

-- CreateIndex
CREATE UNIQUE INDEX "Evaluation_runId_key" ON "Evaluation"("runId");

-- CreateIndex
CREATE INDEX "Misclassified_evaluationId_trueLabel_idx" ON "Misclassified"("evaluationId", "trueLabel");

-- CreateIndex
CREATE INDEX "Misclassified_evaluationId_predLabel_idx" ON "Misclassified"("evaluationId", "predLabel");

-- CreateIndex
CREATE INDEX "Artifact_runId_idx" ON "Artifact"("runId");
