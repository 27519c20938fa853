import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createDemoStopper, type StopInput } from "../src/demo-stop.js";

/** Builds a stand-in terminal: a stream that records the raw-mode switches. */
function fakeTerminal() {
  const stream = new PassThrough();
  const modes: boolean[] = [];
  const input = Object.assign(stream, {
    isTTY: true,
    setRawMode: (mode: boolean) => modes.push(mode),
  });
  return { input, modes };
}

function setup(input: StopInput = fakeTerminal().input) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const lines: string[] = [];
  const stopper = createDemoStopper({
    input,
    signals: signals as unknown as Pick<NodeJS.Process, "on">,
    exit: (code) => exits.push(code),
    say: (text) => lines.push(text),
  });
  const exited = () =>
    new Promise<number>((resolve) => {
      const check = () => (exits.length > 0 ? resolve(exits[0] ?? -1) : setImmediate(check));
      check();
    });
  return { stopper, signals, exits, lines, exited };
}

describe("demo stopper", () => {
  test("ctrl-c stops and exits 0", async () => {
    const terminal = fakeTerminal();
    const { stopper, exited } = setup(terminal.input);
    let stops = 0;
    stopper.onStop(async () => {
      stops += 1;
    });

    terminal.input.write(Buffer.from([0x03]));

    expect(await exited()).toBe(0);
    expect(stops).toBe(1);
    expect(terminal.modes).toEqual([true, false]);
  });

  test("sigint stops and exits 0", async () => {
    const { stopper, signals, exited } = setup();
    let stops = 0;
    stopper.onStop(async () => {
      stops += 1;
    });

    signals.emit("SIGINT");

    expect(await exited()).toBe(0);
    expect(stops).toBe(1);
  });

  test("repeated ctrl-c stops once", async () => {
    const terminal = fakeTerminal();
    const { stopper, exited } = setup(terminal.input);
    let stops = 0;
    stopper.onStop(async () => {
      stops += 1;
    });

    terminal.input.write(Buffer.from([0x03, 0x03]));
    terminal.input.write(Buffer.from([0x03]));

    expect(await exited()).toBe(0);
    expect(stops).toBe(1);
  });

  test("request before start-up stops later", async () => {
    const { stopper, signals, exits, exited } = setup();

    signals.emit("SIGTERM");
    expect(stopper.requested).toBe(true);
    expect(exits).toEqual([]);
    let stops = 0;
    stopper.onStop(async () => {
      stops += 1;
    });

    expect(await exited()).toBe(0);
    expect(stops).toBe(1);
  });

  test("failed stop exits 1", async () => {
    const { stopper, signals, lines, exited } = setup();
    stopper.onStop(async () => {
      throw new Error("podman did not stop");
    });

    signals.emit("SIGINT");

    expect(await exited()).toBe(1);
    expect(lines.join("\n")).toContain("podman did not stop");
  });

  test("other keys do nothing", async () => {
    const terminal = fakeTerminal();
    const { stopper, exits } = setup(terminal.input);
    stopper.onStop(async () => undefined);

    terminal.input.write("q\r");
    await new Promise((resolve) => setImmediate(resolve));

    expect(exits).toEqual([]);
    expect(stopper.requested).toBe(false);
    stopper.release();
  });

  test("non-terminal input stays cooked", async () => {
    const stream = new PassThrough();
    let rawCalls = 0;
    const input = Object.assign(stream, {
      isTTY: false,
      setRawMode: () => {
        rawCalls += 1;
      },
    });
    const { stopper, signals, exited } = setup(input);
    stopper.onStop(async () => undefined);

    signals.emit("SIGINT");

    expect(await exited()).toBe(0);
    expect(rawCalls).toBe(0);
  });
});

/** A program that stops like the demo: its stop step only prints, then the stopper exits. */
const STOPPING_PROGRAM = `
import { pathToFileURL } from "node:url";
const { createDemoStopper } = await import(pathToFileURL(process.env.STOPPER_MODULE).href);
const stopper = createDemoStopper({
  input: process.stdin,
  signals: process,
  exit: (code) => process.exit(code),
  say: (text) => process.stdout.write(text + "\\n"),
});
stopper.onStop(async () => process.stdout.write("stopped everything\\n"));
process.stdout.write("ready\\n");
`;

/**
 * Runs the program under `script` (util-linux), which gives it a real terminal, behind an
 * `sh -c` as pnpm runs scripts, and presses Ctrl-C once it is ready. Without raw mode the
 * terminal would send SIGINT to the shell too, and the shell would exit with 130.
 */
async function pressCtrlCInTerminal(): Promise<{ code: number | null; output: string }> {
  const folder = await mkdtemp(path.join(tmpdir(), "berth-demo-stop-"));
  try {
    const program = path.join(folder, "stopping.mjs");
    await writeFile(program, STOPPING_PROGRAM);
    const e2eFolder = fileURLToPath(new URL("..", import.meta.url));
    const command = `sh -c 'node --import tsx ${program}'`;
    const child = spawn(
      "script",
      ["--quiet", "--return", "--flush", "--command", command, "/dev/null"],
      {
        cwd: e2eFolder,
        env: { ...process.env, STOPPER_MODULE: path.join(e2eFolder, "src", "demo-stop.ts") },
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      const before = output;
      output += chunk.toString();
      if (!before.includes("ready") && output.includes("ready")) {
        child.stdin.write(Buffer.from([0x03]));
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    return { code, output };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

describe("demo stopper in a terminal", () => {
  test("ctrl-c behind a shell exits 0", async () => {
    const { code, output } = await pressCtrlCInTerminal();

    expect(output).toContain("stopped everything");
    expect(code).toBe(0);
  }, 30_000);
});
