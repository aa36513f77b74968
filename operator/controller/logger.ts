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

/** Censored by name wherever they are (pino's `redact` below only reaches two levels). */
const CENSORED_KEYS: ReadonlySet<string> = new Set(['password', 'token']);
const CENSOR = 'xxxxx';
/** Deeper than this, a value is dropped, not printed: the walk never blows the stack, and nothing unscrubbed gets out. */
const MAX_DEPTH = 100;

interface Walk {
  readonly scrubber: SecretScrubber;
  /** The objects being walked, outermost first: one met again is a cycle. */
  readonly ancestors: Set<object>;
}

/**
 * A copy of `value` with every string scrubbed, at any depth: objects,
 * arrays, Maps, Sets, Errors (message, stack, cause and other own fields),
 * keys included. Secrets hide deep in error causes and driver objects, so
 * no level is skipped.
 */
function scrubValue(value: unknown, walk: Walk, depth: number): unknown {
  if (typeof value === 'string') return walk.scrubber.scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (walk.ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  walk.ancestors.add(value);
  try {
    return scrubObject(value, walk, depth + 1);
  } finally {
    walk.ancestors.delete(value);
  }
}

function scrubObject(value: object, walk: Walk, depth: number): unknown {
  if (value instanceof Error) return scrubError(value, walk, depth);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, walk, depth));
  if (value instanceof Set) return [...value].map((v) => scrubValue(v, walk, depth));
  if (value instanceof Map) return scrubEntries([...value].map(([k, v]) => [String(k), v]), walk, depth);
  // Date, Buffer, URL…: printed as their JSON form, which is what pino would print.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return scrubValue(toJSON.call(value), walk, depth);
  return scrubEntries(Object.entries(value), walk, depth);
}

function scrubEntries(entries: [string, unknown][], walk: Walk, depth: number): Record<string, unknown> {
  return Object.fromEntries(entries.map(([k, v]) => [walk.scrubber.scrub(k), CENSORED_KEYS.has(k) && v !== undefined ? CENSOR : scrubValue(v, walk, depth)]));
}

function scrubError(e: Error, walk: Walk, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { type: walk.scrubber.scrub(e.name), message: walk.scrubber.scrub(e.message) };
  if (typeof e.stack === 'string') out.stack = walk.scrubber.scrub(e.stack);
  // Own fields, enumerable or not: `cause`, AggregateError's `errors`, a driver's `sql` or `code`.
  const rest = Object.getOwnPropertyNames(e).filter((k) => k !== 'message' && k !== 'stack');
  return { ...out, ...scrubEntries(rest.map((k) => [k, (e as unknown as Record<string, unknown>)[k]]), walk, depth) };
}

export function createLogger(level: LogLevel, scrubber: SecretScrubber, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: 'atlas-k8s-migrator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'token', '*.token'], censor: CENSOR },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => scrubValue(a, { scrubber, ancestors: new Set() }, 0)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
