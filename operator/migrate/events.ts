/**
 * Progress of a migration run, as typed events. The engine never prints;
 * the CLI renders these for people and the controller turns them into
 * status and metrics. The default listener does nothing.
 */

export interface PlannedFile {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly statements: number;
  /** Statements already applied by an earlier, interrupted run. */
  readonly resumeAt: number;
}

export type MigrateEvent =
  | { readonly type: 'lock-acquired'; readonly name: string; readonly waitedMs: number }
  | { readonly type: 'baseline'; readonly version: string }
  | {
      readonly type: 'plan';
      readonly current: string | undefined;
      readonly target: string | undefined;
      readonly files: readonly PlannedFile[];
    }
  | { readonly type: 'file-start'; readonly file: PlannedFile; readonly index: number; readonly count: number }
  | {
      readonly type: 'statement-start';
      readonly file: string;
      /** 0-based. */
      readonly index: number;
      readonly total: number;
      readonly line: number;
      readonly sql: string;
    }
  | { readonly type: 'statement-done'; readonly file: string; readonly index: number; readonly durationMs: number }
  | { readonly type: 'file-done'; readonly file: string; readonly version: string; readonly durationMs: number }
  | { readonly type: 'file-failed'; readonly file: string; readonly version: string; readonly error: Error; readonly durationMs: number };

export type MigrateEventListener = (event: MigrateEvent) => void;

export const ignoreEvents: MigrateEventListener = () => undefined;
