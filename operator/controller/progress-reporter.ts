/**
 * `status.progress` while a migration runs (file k of n, statement i of m),
 * written at a bounded rate: at most one write per interval however fast
 * statements go, the latest state always written last, and never two
 * writes in flight at once.
 */
import type { AtlasMigrationStatus } from '../api/generated/atlasmigration-types';
import type { MigrateEvent, PlannedFile } from '../migrate/events';
import type { StatusPatch } from './kube/resources';

export type Progress = NonNullable<AtlasMigrationStatus['progress']>;

export interface ProgressSink {
  (patch: StatusPatch): Promise<void>;
}

export class ProgressReporter {
  private files: readonly PlannedFile[] = [];
  private filesDone = 0;
  private progress: Progress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The first write comes an interval after the start: a quick run writes no progress at all. */
  private lastWrite = Date.now();
  private dirty = false;
  private closed = false;
  /** Writes made (for tests and metrics). */
  writes = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly intervalMs: number,
    private readonly startedAt: Date,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** The engine's event listener. */
  readonly onEvent = (e: MigrateEvent): void => {
    if (e.type === 'plan') this.files = e.files;
    else if (e.type === 'file-start') this.update({ file: e.file.name, version: e.file.version, statement: e.file.resumeAt + 1, statements: e.file.statements });
    else if (e.type === 'statement-start') this.update({ statement: e.index + 1, statements: e.total });
    else if (e.type === 'file-done') this.filesDone++;
  };

  private update(part: Partial<Progress>): void {
    this.progress = {
      ...this.progress,
      ...part,
      filesDone: this.filesDone,
      filesTotal: this.files.length,
      startedAt: this.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    this.lastWrite = Date.now();
    const remaining = this.files.slice(this.filesDone).map((f) => f.version);
    const patch: StatusPatch = { progress: this.progress ?? null, pendingVersions: remaining, pendingCount: remaining.length };
    this.writes++;
    this.writing = this.writing.then(() => this.sink(patch)).catch(this.onError);
  }

  /** Stops writing and waits for a write in flight, so the final status lands after it. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.writing;
  }
}
