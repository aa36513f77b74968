/**
 * When the Ready=False/Reconciling write happens before a run: at once for
 * a resource that is Ready now (so nobody reads a stale Ready while files
 * are applied, as Atlas does) or whose plan has lint findings (a reviewer
 * sees status.plan before the first statement), after `delayMs` otherwise
 * (a quick first run then costs one status write instead of two; a long
 * one still shows its progress).
 */
export class ProgressingAnnouncement {
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly urgent: boolean,
    private readonly delayMs: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** `now`: this run's write may not wait (see above). */
  async announce(write: () => Promise<void>, now = false): Promise<void> {
    if (this.urgent || now) return write();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pending = write().catch(this.onError);
    }, this.delayMs);
  }

  /** Cancels a write not yet made and waits for one in flight. */
  async settle(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.pending;
  }
}
