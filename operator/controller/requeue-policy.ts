/**
 * What happens after a failed attempt, decided in one place:
 * - permanent failures (bad spec, checksum, edited history…) wait for the
 *   resource or what it references to change: retrying cannot help;
 * - transient ones (connection, lock timeout, a failing statement) retry
 *   after a capped exponential delay, `failed` counting the attempts;
 * - past `backoffLimit` attempts (Atlas's definition: failed > limit; 0
 *   means never) the resource is left Stalled, and the periodic resync
 *   still tries it once per period, so it is never wedged for good.
 */
import type { FailureKind } from '../api/reasons';

export interface BackoffSettings {
  /** Delay after the first failure. */
  readonly baseMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 5_000, maxMs: 300_000 };

export type NextStep =
  | { readonly action: 'retry'; readonly afterMs: number }
  | { readonly action: 'wait-for-change' }
  | { readonly action: 'give-up' };

/** The delay before retry number `failed` (1 for the first failure): base·2^(failed-1), capped, with ±10 % jitter. */
export function retryDelayMs(failed: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exact = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(Math.max(failed - 1, 0), 30));
  return Math.round(exact * (0.9 + 0.2 * random()));
}

export function nextStep(kind: FailureKind, failed: number, backoffLimit: number, settings: BackoffSettings, random?: () => number): NextStep {
  if (kind === 'permanent') return { action: 'wait-for-change' };
  if (backoffLimit > 0 && failed > backoffLimit) return { action: 'give-up' };
  return { action: 'retry', afterMs: retryDelayMs(failed, settings, random) };
}
