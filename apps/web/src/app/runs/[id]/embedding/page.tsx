import type { Metadata } from "next";
import { EmbeddingView } from "~/embedding/EmbeddingView";

export const metadata: Metadata = { title: "Embedding map" };

export default async function EmbeddingPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <EmbeddingView runId={decodeURIComponent(id)} />;
}
