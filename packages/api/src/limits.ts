/** Calls in one batched tRPC request: the server refuses more (400), the dashboard's link sends at
 * most this many. Browser-safe (no server imports), exported through ./schemas. */
export const MAX_BATCH_SIZE = 20;
