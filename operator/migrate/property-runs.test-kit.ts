/**
 * PROPERTY_RUNS for the property tests, checked: 0 or a typo (NaN) would
 * make every property pass without trying a single input, so such values
 * are refused, and under CI (`make test` in .ci/run) the knob is refused
 * altogether. A refused value is reported by a failing test of the caller's
 * while its properties still run with the default count.
 */
const IN_CI = !['', '0', 'false'].includes(process.env.CI ?? '');

export function propertyRuns(raw: string | undefined, defaultRuns: number): { runs: number; refused?: string } {
  if (raw === undefined) return { runs: defaultRuns };
  if (IN_CI) return { runs: defaultRuns, refused: `PROPERTY_RUNS=${raw} is set under CI=${process.env.CI ?? ''}; CI runs the default ${defaultRuns}` };
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) return { runs: defaultRuns, refused: `PROPERTY_RUNS=${JSON.stringify(raw)} is not a positive integer` };
  return { runs: n };
}
