import { LONGEST_TIMER_MS } from '../migrate/dialects/sleep';
import { formatGoDuration, parseGoDuration } from '../migrate/go-duration';
import { UsageError } from './io';

/** Atlas's `--url`, required for commands that talk to a database. */
export function requireUrl(url: string | undefined): string {
  if (url === undefined || url === '') throw new UsageError('required flag "url" not set');
  return url;
}

/** A Go duration flag (`10s`, `1m30s`) in milliseconds. */
export function durationFlag(flag: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const ms = parseGoDuration(value);
  if (ms === undefined) throw new UsageError(`--${flag} ${JSON.stringify(value)}: not a duration (e.g. 10s, 1m30s)`);
  if (ms > LONGEST_TIMER_MS) throw new UsageError(`--${flag} ${JSON.stringify(value)}: longer than ${formatGoDuration(LONGEST_TIMER_MS * 1e6)}, the longest wait this program can time`);
  return ms;
}

/** `--format json`, or Atlas's `--format '{{ json . }}'`; anything else is the text report. */
export function outputFormat(value: string | undefined): 'text' | 'json' {
  if (value === undefined) return 'text';
  if (value === 'json' || /^\{\{\s*json\s+\.\s*\}\}$/.test(value.trim())) return 'json';
  throw new UsageError(`--format ${JSON.stringify(value)}: supported formats are json and '{{ json . }}'`);
}
