import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), "../src");
const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm;

/** Every import specifier reachable from `file` through relative imports. */
function collectImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) {
    return [];
  }
  seen.add(file);
  const specifiers: string[] = [];
  for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
    const specifier = match[1] ?? "";
    if (specifier.startsWith(".")) {
      const target = join(dirname(file), specifier.replace(/\.js$/, ".ts"));
      specifiers.push(...collectImports(target, seen));
    } else {
      specifiers.push(specifier);
    }
  }
  return specifiers;
}

test("select entry imports only browser-safe packages", () => {
  const external = new Set(collectImports(join(SOURCE, "select.ts")));

  expect([...external].sort()).toEqual(["picomatch/posix.js", "semver"]);
});
