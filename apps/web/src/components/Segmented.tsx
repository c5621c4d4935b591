"use client";

/** A small two-or-more-way toggle (counts / row %, EN / 中文). */
export function Segmented<T extends string>({
  value,
  options,
  onChange,
  label,
}: {
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
  label: string;
}) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a button group, not a fieldset of form inputs
    <div className="seg" role="group" aria-label={label}>
      {options.map((o) => (
        <button key={o.value} type="button" aria-pressed={o.value === value} onClick={() => onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}

export const LOCALE_OPTIONS = [
  { value: "en", label: "EN" },
  { value: "zh", label: "中文" },
] as const;
