export {
  bodyLimit,
  DEFAULT_BODY_LIMIT_BYTES,
  isJsonContentType,
  parseJsonText,
  readJsonBody,
} from "./body.js";
export { assertSameOrigin, type CrossOriginOptions } from "./csrf.js";
export {
  API_ERROR_STATUS,
  ApiError,
  type ApiErrorCode,
  type ErrorBody,
  errorHandler,
  errorResponse,
  type FieldIssue,
  fieldIssues,
  notFoundHandler,
  toApiError,
  validationError,
  validationHook,
} from "./errors.js";
export { type SecurityHeadersOptions, securityHeaders } from "./security.js";
