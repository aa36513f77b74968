/**
 * JSON logs (pino) on stdout. Fields that could carry credentials are
 * censored by name, and every string passes through the SecretScrubber,
 * so no password reaches a log line whatever a message quotes.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { SecretScrubber } from './secret-scrubber';

export type { Logger };

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function scrubValue(value: unknown, scrubber: SecretScrubber, depth: number): unknown {
  if (typeof value === 'string') return scrubber.scrub(value);
  if (value instanceof Error) return { type: value.name, message: scrubber.scrub(value.message) };
  if (depth > 2 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrubber, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, scrubber, depth + 1)]));
}

export function createLogger(level: LogLevel, scrubber: SecretScrubber, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: 'atlas-k8s-migrator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'token', '*.token'], censor: 'xxxxx' },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => scrubValue(a, scrubber, 0)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
