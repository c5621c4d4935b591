import { importMaxBytes } from "@fmnist/api/imports";
import type { Metadata } from "next";
import { ImportView } from "~/imports/ImportView";

export const metadata: Metadata = { title: "Import a model" };
export const dynamic = "force-dynamic";

export default function ImportPage() {
  return <ImportView maxBytes={importMaxBytes()} />;
}
