export { KerasImportError, LIMITS } from "./errors";
export { IMAGE_SHAPE, type ImportedKerasModel, importKerasModel, type KerasFormat, toSnakeCase } from "./import";
export { SUPPORTED_LAYERS } from "./layers";
export { importedRunFields, sourceFileName } from "./run-record";
