import type { Metadata } from "next";
import { NewSweepForm } from "~/sweeps/NewSweepForm";

export const metadata: Metadata = { title: "New sweep" };

export default function NewSweepPage() {
  return <NewSweepForm />;
}
