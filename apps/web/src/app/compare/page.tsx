import type { Metadata } from "next";
import { CompareView } from "~/components/CompareView";

export const metadata: Metadata = { title: "Compare runs" };

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ ids?: string | string[] }> }) {
  const { ids } = await searchParams;
  const list = (Array.isArray(ids) ? ids.join(",") : (ids ?? ""))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // The key remounts the view (fresh A/B choice) when the selection changes.
  return <CompareView key={list.join(",")} ids={[...new Set(list)]} />;
}
