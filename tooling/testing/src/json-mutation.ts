/**
 * Building blocks for fuzzing a JSON document field by field: list every path into a valid
 * example, then replace or delete the value at one path of a copy.
 */

/** A JSON value as `JSON.parse` returns it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A path into a JSON value: object keys and array indexes, outermost first. */
export type JsonPath = Array<string | number>;

/** Lists every path into `value` (objects and arrays), the root included as `[]`. */
export function jsonPaths(value: Json, prefix: JsonPath = []): JsonPath[] {
  const own = [prefix];
  if (value === null || typeof value !== "object") return own;
  const keys = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return own.concat(
    keys.flatMap((key) =>
      jsonPaths((value as Record<string, Json>)[key] as Json, [...prefix, key]),
    ),
  );
}

/** Replaces (or deletes, for `undefined`) the value at `path` in a copy of `template`. */
export function mutateJson(template: Json, path: JsonPath, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(template);
  let parent: Json = copy;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return copy;
    parent = (parent as Record<string, Json>)[key] ?? null;
  }

  // An earlier edit may have replaced this path's parent with a scalar.
  if (parent === null || typeof parent !== "object") return copy;
  const target = parent as Record<string, Json>;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}
