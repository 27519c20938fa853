import { describe, expect, test } from "vitest";
import { toStoreError } from "../src/errors.js";

/** Wraps a driver error the way drizzle does: a query error with the driver's in `cause`. */
function asDrizzleError(driverError: object): Error {
  return new Error("Failed query: select 1", { cause: driverError });
}

describe("toStoreError on a lost server", () => {
  test.each([
    { what: "admin shutdown", driverError: { code: "57P01" } },
    { what: "crash shutdown", driverError: { code: "57P02" } },
    { what: "server starting up", driverError: { code: "57P03" } },
    { what: "connection refused", driverError: { code: "ECONNREFUSED" } },
    { what: "connect timeout", driverError: { code: "CONNECT_TIMEOUT" } },
    { what: "connection closed", driverError: { code: "CONNECTION_CLOSED" } },
    { what: "connection ended", driverError: { code: "CONNECTION_ENDED" } },
  ])("$what is a connection error", ({ driverError }) => {
    expect(toStoreError(asDrizzleError(driverError)).kind).toBe("connection");
  });

  test("unique violation is not a connection error", () => {
    expect(toStoreError(asDrizzleError({ code: "23505" })).kind).toBe("unique_violation");
  });
});
