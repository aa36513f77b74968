/**
 * The longest delay a Node timer can wait (2^31-1 ms, about 24.8 days): a
 * longer one fires after 1 ms instead, so waits are capped at it.
 */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Waits `ms` (at most LONGEST_TIMER_MS), or less if the signal aborts (then rejects with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, LONGEST_TIMER_MS));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
