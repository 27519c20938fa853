/** An image reference that cannot be parsed. The message quotes it and states what is wrong. */
export class ImageReferenceError extends Error {
  override readonly name = "ImageReferenceError";
  readonly reference: string;

  constructor(reference: string, problem: string) {
    super(`invalid image reference "${reference}": ${problem}`);
    this.reference = reference;
  }
}

/**
 * A tag filter or selection policy that cannot work as configured: a bad pattern, range or
 * extract expression, or an extract that captured something other than a number.
 */
export class TagPolicyError extends Error {
  override readonly name = "TagPolicyError";
  /** The option at fault, e.g. `include`, `policy.range`, `policy.extract`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** A `createRegistry` option that cannot work. The message names the option and the fix. */
export class RegistryConfigError extends Error {
  override readonly name = "RegistryConfigError";
  /** The option at fault, e.g. `type`, `url`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}
