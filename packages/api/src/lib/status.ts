/** "succeeded", "failed", "been cancelled": for messages like `has already ${finishedWord(s)}`. */
export function finishedWord(status: string): string {
  return status === "CANCELLED" ? "been cancelled" : status.toLowerCase();
}
