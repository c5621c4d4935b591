import type { Metadata } from "next";
import { SweepList } from "~/sweeps/SweepList";

export const metadata: Metadata = { title: "Sweeps" };

export default function SweepsPage() {
  return <SweepList />;
}
