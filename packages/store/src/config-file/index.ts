export { exportConfig } from "./export.js";
export { type ImportOptions, type ImportSummary, importConfig } from "./import.js";
export { ConfigFileError } from "./parse.js";
export type { Environment } from "./resolve.js";
export type { TagPatternCheck } from "./tag-patterns.js";
