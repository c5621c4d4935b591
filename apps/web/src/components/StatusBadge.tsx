export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge ${status}`} data-testid="status-badge">
      {status.toLowerCase()}
    </span>
  );
}
