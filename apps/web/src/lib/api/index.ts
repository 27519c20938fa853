export { API_BASE, apiUrl, request, setUnauthorizedHandler, unwrap } from "./client.js";
export * from "./endpoints.js";
export { ApiRequestError, errorFromResponse, fieldErrorsOf, messageOf } from "./errors.js";
