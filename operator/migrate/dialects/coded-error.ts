/**
 * The base of every error this project raises on purpose: a stable `code`
 * to switch on (never the message) and the subclass name as `name`.
 */
export abstract class CodedError<C extends string> extends Error {
  abstract readonly code: C;
  override get name(): string {
    return this.constructor.name;
  }
}
