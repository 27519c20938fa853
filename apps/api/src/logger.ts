import pino, { type DestinationStream, type Logger } from "pino";
import type { Config } from "./config.js";

/**
 * Creates the process logger: JSON lines on stdout. Fields that may carry secrets are
 * redacted in case one ever reaches a log call.
 */
export function createLogger(
  config: Pick<Config, "logLevel">,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: "berth" },
      redact: {
        paths: ["*.password", "*.token", "*.secret", "*.secretKey", "req.headers.authorization"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
