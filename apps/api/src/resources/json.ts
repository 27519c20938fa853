/** A value as `JSON.stringify` writes it: dates become ISO strings. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends Array<infer Item>
    ? Jsonified<Item>[]
    : T extends object
      ? { [Key in keyof T]: Jsonified<T[Key]> }
      : T;

/** Converts store rows to their JSON form, so responses type-check against the schemas. */
export function toJson<T>(value: T): Jsonified<T> {
  return JSON.parse(JSON.stringify(value)) as Jsonified<T>;
}

type OptionalKeys<T> = { [Key in keyof T]-?: undefined extends T[Key] ? Key : never }[keyof T];

/**
 * A validated body without `undefined` values: zod types an optional field as `T | undefined`,
 * while the store's inputs (under `exactOptionalPropertyTypes`) accept a missing key only.
 */
export type Defined<T> = T extends readonly (infer Item)[]
  ? Defined<Item>[]
  : T extends object
    ? { [Key in Exclude<keyof T, OptionalKeys<T>>]: Defined<T[Key]> } & {
        [Key in OptionalKeys<T>]?: Defined<Exclude<T[Key], undefined>>;
      }
    : T;

/** Drops keys whose value is `undefined`, at every depth. */
export function withoutUndefined<T>(value: T): Defined<T> {
  if (Array.isArray(value)) {
    return value.map((item: unknown) => withoutUndefined(item)) as Defined<T>;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined);
    return Object.fromEntries(
      entries.map(([key, field]) => [key, withoutUndefined(field)]),
    ) as Defined<T>;
  }
  return value as Defined<T>;
}
