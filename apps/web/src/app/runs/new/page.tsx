import type { Metadata } from "next";
import { NewRun } from "~/components/NewRunForm";

export const metadata: Metadata = { title: "New run" };

/** /runs/new, or /runs/new?from=<runId> to clone another run's settings. */
export default async function NewRunPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { from } = await searchParams;
  return <NewRun from={typeof from === "string" && from.trim() ? from.trim() : null} />;
}
