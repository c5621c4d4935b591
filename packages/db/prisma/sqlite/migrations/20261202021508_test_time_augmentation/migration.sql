-- AlterTable
ALTER TABLE "Run" ADD COLUMN "testAccuracyTta" REAL;
