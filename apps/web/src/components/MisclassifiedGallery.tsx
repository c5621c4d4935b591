"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";
import { ClassSelect } from "~/ui/ClassSelect";
import { LoadMore } from "~/ui/LoadMore";

export interface PairFilter {
  trueLabel: number | null;
  predLabel: number | null;
}

interface Props {
  runId: string;
  names: readonly string[];
  filter: PairFilter;
  onFilter: (f: PairFilter) => void;
}

/** The actual test images the model got wrong, most confident mistakes first. */
export function MisclassifiedGallery({ runId, names, filter, onFilter }: Props) {
  const trpc = useTRPC();
  const query = useInfiniteQuery(
    trpc.runs.misclassified.infiniteQueryOptions(
      { runId, trueLabel: filter.trueLabel, predLabel: filter.predLabel, limit: 40 },
      { getNextPageParam: (last) => last.nextCursor },
    ),
  );
  const items = query.data?.pages.flatMap((p) => p.items) ?? [];
  const total = query.data?.pages[0]?.total;

  return (
    <div data-testid="misclassified">
      <div className="row" style={{ marginBottom: 12 }}>
        <span className="muted small">True class</span>
        <ClassSelect names={names} value={filter.trueLabel} onChange={(v) => onFilter({ ...filter, trueLabel: v })} label="True class" />
        <span className="muted small">predicted as</span>
        <ClassSelect names={names} value={filter.predLabel} onChange={(v) => onFilter({ ...filter, predLabel: v })} label="Predicted class" />
        {(filter.trueLabel != null || filter.predLabel != null) && (
          <button type="button" className="btn" onClick={() => onFilter({ trueLabel: null, predLabel: null })}>
            Show all
          </button>
        )}
        <span className="spacer" />
        <span className="muted small" data-testid="misclassified-count">
          {total == null ? "" : `${items.length} of ${total} shown`}
        </span>
      </div>
      {query.error && <div className="error-box">{query.error.message}</div>}
      {total === 0 && <p className="muted">No misclassified test images {filter.trueLabel != null || filter.predLabel != null ? "for this filter" : ""}.</p>}
      <div className="gallery">
        {items.map((m) => (
          <figure key={m.testIndex} className="tile" data-testid="misclassified-tile" style={{ margin: 0 }}>
            {/* biome-ignore lint/performance/noImgElement: a 28x28 PNG drawn pixelated; next/image would resample it */}
            <img src={`/api/dataset/test-images/${m.testIndex}?run=${encodeURIComponent(runId)}`} alt={`Test #${m.testIndex}, a ${names[m.trueLabel]}`} width={112} height={112} />
            <figcaption>
              <div className="t">true: {names[m.trueLabel]}</div>
              <div className="p">predicted: {names[m.predLabel]}</div>
              <div className="c">
                {(m.confidence * 100).toFixed(1)}% confident · #{m.testIndex}
              </div>
            </figcaption>
          </figure>
        ))}
      </div>
      <LoadMore query={query} />
    </div>
  );
}
