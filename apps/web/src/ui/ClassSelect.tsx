"use client";

/** A class filter: "any" or one of the ten classes (by label index), in the names' language. */
export function ClassSelect({ names, value, onChange, label }: { names: readonly string[]; value: number | null; onChange: (v: number | null) => void; label: string }) {
  return (
    <select aria-label={label} value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}>
      <option value="">any</option>
      {names.map((n, i) => (
        <option key={n} value={i}>
          {n}
        </option>
      ))}
    </select>
  );
}
