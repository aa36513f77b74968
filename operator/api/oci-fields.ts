/**
 * The string forms of spec.dir.oci that the CRD checks by pattern (the
 * apiserver uses Go's RE2, ajv JavaScript's RegExp; both read these the
 * same way) and that the operator parses exactly: operator/oci/reference.ts
 * for references, parseByteSize for sizes.
 */

/** registry[:port]/repository[:tag][@sha256:<hex>], loosely; the registry host is required. */
export const OCI_REFERENCE_PATTERN = '^[^/@:\\s]+(:[0-9]+)?/[^@:\\s]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$';

/** A byte count as a Kubernetes quantity: digits, an optional fraction, an optional binary or decimal suffix. */
export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$';

export const DEFAULT_OCI_MAX_BYTES = 64 * 1024 * 1024;

const UNITS: Readonly<Record<string, number>> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** `64Mi` → 67108864; an integer as is; undefined → the default. Throws on anything else. */
export function parseByteSize(value: number | string | undefined): number {
  if (value === undefined) return DEFAULT_OCI_MAX_BYTES;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`maxSize ${value} is not a positive whole number of bytes`);
    return value;
  }
  const m = new RegExp(QUANTITY_PATTERN).exec(value);
  const bytes = m === null ? NaN : Math.floor(Number(value.slice(0, value.length - (m[2] ?? '').length)) * (UNITS[m[2] ?? ''] ?? NaN));
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new Error(`maxSize ${JSON.stringify(value)} is not a size such as 64Mi, 1Gi or 1000000`);
  return bytes;
}
