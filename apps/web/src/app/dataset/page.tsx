import type { Metadata } from "next";
import { Suspense } from "react";
import { DatasetView } from "~/dataset/DatasetView";

export const metadata: Metadata = { title: "Dataset" };

export default function DatasetPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <DatasetView />
    </Suspense>
  );
}
