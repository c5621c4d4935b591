-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'PRUNED');

-- CreateEnum
CREATE TYPE "SweepStatus" AS ENUM ('RUNNING', 'FINISHED', 'CANCELLED');

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "note" TEXT,
ADD COLUMN     "sweepId" TEXT,
ADD COLUMN     "trialNumber" INTEGER;

-- Convert the status column in place (the diff of Prisma drops and re-adds it, which would lose the
-- status of every run).
ALTER TABLE "Run" ALTER COLUMN "status" DROP DEFAULT,
ALTER COLUMN "status" TYPE "RunStatus" USING "status"::"RunStatus",
ALTER COLUMN "status" SET DEFAULT 'QUEUED';

-- CreateTable
CREATE TABLE "RunTag" (
    "runId" TEXT NOT NULL,
    "tag" TEXT NOT NULL,

    CONSTRAINT "RunTag_pkey" PRIMARY KEY ("runId","tag")
);

-- CreateTable
CREATE TABLE "RunParam" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "numValue" DOUBLE PRECISION,
    "textValue" TEXT,

    CONSTRAINT "RunParam_pkey" PRIMARY KEY ("runId","key")
);

-- CreateTable
CREATE TABLE "Sweep" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "method" TEXT NOT NULL,
    "objective" TEXT NOT NULL,
    "status" "SweepStatus" NOT NULL DEFAULT 'RUNNING',
    "trialBudget" INTEGER NOT NULL,
    "maxConcurrent" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Sweep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RunTag_tag_idx" ON "RunTag"("tag");

-- CreateIndex
CREATE INDEX "RunParam_key_numValue_idx" ON "RunParam"("key", "numValue");

-- CreateIndex
CREATE INDEX "RunParam_key_textValue_idx" ON "RunParam"("key", "textValue");

-- CreateIndex
CREATE INDEX "Sweep_createdAt_idx" ON "Sweep"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Run_sweepId_trialNumber_key" ON "Run"("sweepId", "trialNumber");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_sweepId_fkey" FOREIGN KEY ("sweepId") REFERENCES "Sweep"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunTag" ADD CONSTRAINT "RunTag_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunParam" ADD CONSTRAINT "RunParam_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: one RunParam row per scalar field of every existing run config (the run name is not a
-- parameter, and objects such as the resolved dataset of old runs are not scalars).
INSERT INTO "RunParam" ("runId", "key", "numValue", "textValue")
SELECT r."id", j.key,
  CASE jsonb_typeof(j.value) WHEN 'number' THEN (j.value #>> '{}')::double precision
    WHEN 'boolean' THEN CASE WHEN j.value = 'true'::jsonb THEN 1 ELSE 0 END END,
  CASE WHEN jsonb_typeof(j.value) = 'string' THEN j.value #>> '{}' END
FROM "Run" r, jsonb_each(r."config") j
WHERE jsonb_typeof(r."config") = 'object' AND jsonb_typeof(j.value) IN ('number', 'boolean', 'string') AND j.key <> 'name';
