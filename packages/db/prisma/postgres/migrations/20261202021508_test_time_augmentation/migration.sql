-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "testAccuracyTta" DOUBLE PRECISION;
