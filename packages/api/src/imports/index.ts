// Server-only entry for the upload route: model imports and the admin check it shares with tRPC.
export { KerasImportError } from "@fmnist/keras-import";
export { isAdmin } from "../trpc";
export { importMaxBytes, type QueuedImport, queueImport } from "./queue-import";
