import type { Metadata } from "next";
import { Suspense } from "react";
import { ClassifyView } from "~/classify/ClassifyView";

export const metadata: Metadata = { title: "Classify" };

export default function ClassifyPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <ClassifyView />
    </Suspense>
  );
}
