// The architecture registry's names without tfjs, so browser forms and schemas can list them.
// architectures.ts checks (by type) that every name here has a builder.
export const ARCHITECTURE_NAMES = ["reference-cnn", "mlp", "tiny-cnn"] as const;
export type ArchitectureName = (typeof ARCHITECTURE_NAMES)[number];
export const DEFAULT_ARCHITECTURE: ArchitectureName = "reference-cnn";
