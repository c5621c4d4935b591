-- AlterTable
ALTER TABLE "Run" ADD COLUMN "datasetDir" TEXT;
ALTER TABLE "Run" ADD COLUMN "datasetSource" TEXT;
ALTER TABLE "Run" ADD COLUMN "datasetSubset" TEXT;
