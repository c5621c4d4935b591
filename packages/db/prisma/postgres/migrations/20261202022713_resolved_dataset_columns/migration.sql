-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "datasetDir" TEXT,
ADD COLUMN     "datasetSource" TEXT,
ADD COLUMN     "datasetSubset" TEXT;
