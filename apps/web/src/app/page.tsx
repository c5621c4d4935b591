import { Suspense } from "react";
import { Experiments } from "~/components/Experiments";

export default function ExperimentsPage() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <Experiments />
    </Suspense>
  );
}
