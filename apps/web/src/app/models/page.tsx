import type { Metadata } from "next";
import { Suspense } from "react";
import { ModelsView } from "~/models/ModelsView";

export const metadata: Metadata = { title: "Models" };

export default function ModelsPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <ModelsView />
    </Suspense>
  );
}
