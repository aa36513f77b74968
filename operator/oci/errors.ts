/**
 * What can go wrong talking to a registry. `retryable` says whether the same
 * request may succeed later without anything changing on our side (a
 * network error, a 5xx, a tag not pushed yet); the rest need a change of the
 * reference, the credentials, the CA or the artifact itself.
 */
import { CodedError } from '../migrate/dialects/coded-error';

export type OciErrorCode = 'Reference' | 'Transport' | 'Tls' | 'Auth' | 'NotFound' | 'Registry' | 'Digest' | 'Size' | 'Format';

export class OciError extends CodedError<OciErrorCode> {
  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const referenceError = (message: string): OciError => new OciError('Reference', message, false);
export const formatError = (message: string, cause?: unknown): OciError => new OciError('Format', message, false, cause === undefined ? undefined : { cause });
export const sizeError = (message: string): OciError => new OciError('Size', message, false);

/** A blob or manifest whose bytes do not hash to the digest that names it. */
export class DigestMismatchError extends OciError {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('Digest', `${what}: the registry sent content with digest ${actual}, expected ${expected}`, false);
  }
}
