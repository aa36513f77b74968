/**
 * Go durations: parsing flags and fields Atlas users already write
 * (`--lock-timeout 10s`, `1m30s`) and printing like `time.Duration.String()`
 * so run reports read exactly as Atlas's (`-- ok (3.002519ms)`).
 */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's longest duration (int64 nanoseconds): past it `time.ParseDuration` says "invalid duration". */
const MAX_GO_DURATION_NS = 2 ** 63 - 1;

/** Parses `300ms`, `1.5h`, `2h45m`… into milliseconds; undefined when the text is not a duration (or longer than Go allows). */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let ns = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ns += Number(m[1]) * (UNIT_NS[m[2] ?? ''] ?? 0);
    at = re.lastIndex;
  }
  if (at === 0 || at !== text.length || ns > MAX_GO_DURATION_NS) return undefined;
  return ns / 1e6;
}

function fraction(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

/** Go's `Duration.String()` for a duration in nanoseconds. */
export function formatGoDuration(nanoseconds: number): string {
  const ns = Math.round(nanoseconds);
  if (ns === 0) return '0s';
  if (ns < 0) return '-' + formatGoDuration(-ns);
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${fraction(ns / 1e3, 3)}µs`;
  if (ns < 1e9) return `${fraction(ns / 1e6, 6)}ms`;
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = fraction((ns % 60e9) / 1e9, 9);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
