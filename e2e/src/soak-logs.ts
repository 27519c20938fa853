/**
 * Figures read from one Berth process's JSON log lines (pino): how long its poll cycles
 * took, how often it lost a poll lease to the other process, and how many errors it logged.
 */

export interface LogFigures {
  pollCycles: number;
  /** Longest "poll cycle finished" duration, in ms. */
  longestPollCycleMs: number | undefined;
  /** "poll lease lost" warnings: results dropped because the other process took the stage. */
  leasesLost: number;
  /** Stages a webhook check found leased by the other process (the summary's `busy`). */
  busyStages: number;
  /** Lines at pino's error level (50) or above, with the first few messages. */
  errors: number;
  errorMessages: string[];
}

/** pino writes `level` as a number: 40 warn, 50 error, 60 fatal. */
const ERROR_LEVEL = 50;

export function readLogFigures(output: string): LogFigures {
  const figures: LogFigures = {
    pollCycles: 0,
    longestPollCycleMs: undefined,
    leasesLost: 0,
    busyStages: 0,
    errors: 0,
    errorMessages: [],
  };
  for (const line of output.split("\n")) {
    const entry = parseLine(line);
    if (entry) addLine(figures, entry);
  }
  return figures;
}

function addLine(figures: LogFigures, entry: Record<string, unknown>): void {
  const message = typeof entry.msg === "string" ? entry.msg : "";
  if (message === "poll cycle finished" && typeof entry.durationMs === "number") {
    figures.pollCycles += 1;
    figures.longestPollCycleMs = Math.max(figures.longestPollCycleMs ?? 0, entry.durationMs);
  }
  if (message.startsWith("poll lease lost")) {
    figures.leasesLost += 1;
  }
  if (message === "stage check finished" && typeof entry.busy === "number") {
    figures.busyStages += entry.busy;
  }
  if (typeof entry.level === "number" && entry.level >= ERROR_LEVEL) {
    figures.errors += 1;
    if (figures.errorMessages.length < 5) figures.errorMessages.push(message);
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
