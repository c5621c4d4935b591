import type { Metadata } from "next";
import { Suspense } from "react";
import { HardExamplesView } from "~/hard-examples/HardExamplesView";

export const metadata: Metadata = { title: "Hard examples" };

export default function HardExamplesPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <HardExamplesView />
    </Suspense>
  );
}
