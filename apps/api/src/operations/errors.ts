import { OperationError } from "@berth/deployer";
import { ApiError } from "../http/errors.js";

/**
 * Runs a deployer operation, turning its `OperationError` into the API's error shape: bad
 * input is a 422, a wrong state a 409. Store errors pass through to the error handler.
 */
export async function runOperation<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof OperationError) {
      throw error.kind === "invalid"
        ? new ApiError("validation_failed", error.message, { cause: error })
        : new ApiError("conflict", error.message, { cause: error });
    }
    throw error;
  }
}
