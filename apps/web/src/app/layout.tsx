import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "~/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "fmnist-studio", template: "%s · fmnist-studio" },
  description: "Train, track and compare Fashion-MNIST classifiers",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <div className="topbar-inner">
            <Link href="/" className="brand">
              fmnist<span>-studio</span>
            </Link>
            <nav className="nav">
              <Link href="/">Experiments</Link>
              <Link href="/runs/new">New run</Link>
              <Link href="/sweeps">Sweeps</Link>
              <Link href="/classify">Classify</Link>
              <Link href="/models">Models</Link>
              <Link href="/dataset">Dataset</Link>
              <Link href="/hard-examples">Hard examples</Link>
              <Link href="/import">Import model</Link>
            </nav>
          </div>
        </header>
        <TRPCReactProvider>
          <main className="page">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
