/**
 * Renders a `migrate apply` run from the engine's events: Atlas's report,
 * line by line as the run goes (so a log shows progress), a live progress
 * line on a terminal, or one JSON document at the end (`--format json`).
 */
import { StatementExecError } from '../migrate/errors';
import type { MigrateEvent, PlannedFile } from '../migrate/events';
import { formatGoDuration } from '../migrate/go-duration';
import type { CliIo } from './io';

interface FileLog {
  readonly file: PlannedFile;
  readonly start: Date;
  end: Date | undefined;
  readonly statements: string[];
  error: { stmt: string; text: string } | undefined;
}

function indentContinuation(text: string, spaces: number): string {
  return text.replaceAll('\n', '\n' + ' '.repeat(spaces));
}

function plural(n: number): string {
  return n > 1 ? 's' : '';
}

/** The database's own error text for a failed statement, as Atlas prints it under the statement. */
function errorText(error: Error): string {
  return error instanceof StatementExecError ? error.databaseError : error.message;
}

export class ApplyReport {
  private readonly started = process.hrtime.bigint();
  private readonly startedAt = new Date();
  private planned: Extract<MigrateEvent, { type: 'plan' }> | undefined;
  private readonly files: FileLog[] = [];
  private progressShown = false;

  constructor(
    private readonly io: CliIo,
    private readonly format: 'text' | 'json',
    private readonly context: { driver: string; url: string; dir: string },
  ) {}

  readonly onEvent = (event: MigrateEvent): void => {
    switch (event.type) {
      case 'plan':
        this.planned = event;
        if (event.files.length > 0) this.write(this.header() + '\n');
        break;
      case 'file-start':
        this.files.push({ file: event.file, start: new Date(), end: undefined, statements: [], error: undefined });
        this.write(`\n  -- migrating version ${event.file.version}\n`);
        break;
      case 'statement-start':
        this.current()?.statements.push(event.sql);
        this.write(`    -> ${indentContinuation(event.sql, 7)}\n`);
        this.progress(`[${this.files.length}/${this.planned?.files.length ?? 0}] ${event.file}: statement ${event.index + 1}/${event.total}`);
        break;
      case 'file-done':
        this.finishFile();
        this.write(`  -- ok (${formatGoDuration(event.durationMs * 1e6)})\n`);
        break;
      case 'file-failed':
        this.finishFile(event.error);
        this.write(`    ${errorText(event.error)}\n`);
        break;
      default:
        break;
    }
  };

  private current(): FileLog | undefined {
    return this.files.at(-1);
  }

  private finishFile(error?: Error): void {
    const f = this.current();
    if (f === undefined) return;
    f.end = new Date();
    if (error !== undefined) f.error = { stmt: f.statements.at(-1) ?? '', text: errorText(error) };
  }

  private header(): string {
    const p = this.planned;
    const from = p?.current === undefined ? '' : ` from ${p.current}`;
    return `Migrating to version ${p?.target ?? ''}${from} (${p?.files.length ?? 0} migrations in total):`;
  }

  private write(text: string): void {
    if (this.format !== 'text') return;
    this.clearProgress();
    this.io.out(text);
  }

  private progress(text: string): void {
    if (this.format !== 'text' || !this.io.interactive) return;
    const elapsed = formatGoDuration(Number(process.hrtime.bigint() - this.started));
    this.io.err(`\r\x1b[K${text}  ${elapsed}`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.io.err('\r\x1b[K');
    this.progressShown = false;
  }

  private summary(): string[] {
    const ok = this.files.filter((f) => f.error === undefined).length;
    const failed = this.files.length - ok;
    const failedStatements = failed > 0 ? 1 : 0;
    const okStatements = this.files.reduce((n, f) => n + f.statements.length, 0) - failedStatements;
    const lines = [formatGoDuration(Number(process.hrtime.bigint() - this.started))];
    if (ok > 0 && failed > 0) lines.push(`${ok} migration${plural(ok)} ok, ${failed} with errors`);
    else if (ok > 0) lines.push(`${ok} migration${plural(ok)}`);
    else if (failed > 0) lines.push(`${failed} migration${plural(failed)} with errors`);
    if (okStatements > 0 && failedStatements > 0) lines.push(`${okStatements} sql statement${plural(okStatements)} ok, ${failedStatements} with errors`);
    else if (okStatements > 0) lines.push(`${okStatements} sql statement${plural(okStatements)}`);
    else if (failedStatements > 0) lines.push(`${failedStatements} sql statement${plural(failedStatements)} with errors`);
    return lines;
  }

  /** Ends the report. `error` is the run's failure, if any (printed by the caller as `Error: …`). */
  finish(error?: Error): void {
    this.clearProgress();
    if (this.format === 'json') {
      this.io.out(JSON.stringify(this.json(error)) + '\n');
      return;
    }
    if (this.planned === undefined) return; // failed before planning: only the error is printed
    if (this.planned.files.length === 0) {
      this.io.out('No migration files to execute\n');
      return;
    }
    let out = '';
    if (this.files.length === 0 && error !== undefined) out += `\n    ${errorText(error)}\n`;
    out += '\n  -------------------------\n';
    out += this.summary().map((l) => `  -- ${l}\n`).join('');
    this.io.out(out);
  }

  private message(): string {
    const p = this.planned;
    if (p === undefined || p.files.length === 0) return 'No migration files to execute';
    return this.header().replace(/^Migrating/, 'Migrated').replace(/:$/, '');
  }

  private json(error?: Error): object {
    const p = this.planned;
    const pending = p?.files ?? [];
    const message = this.message();
    return {
      Driver: this.context.driver,
      URL: this.context.url,
      Dir: this.context.dir,
      Pending: pending.map((f) => ({ Name: f.name, Version: f.version, Description: f.description })),
      Applied: this.files.map((f) => ({
        Name: f.file.name,
        Version: f.file.version,
        Description: f.file.description,
        Start: f.start.toISOString(),
        End: (f.end ?? new Date()).toISOString(),
        Skipped: f.file.resumeAt,
        Applied: f.statements,
        ...(f.error === undefined ? {} : { Error: { Stmt: f.error.stmt, Text: f.error.text } }),
      })),
      Current: p?.current ?? '',
      Target: p?.target ?? '',
      Start: this.startedAt.toISOString(),
      End: new Date().toISOString(),
      ...(error === undefined ? { Message: message } : { Error: error.message }),
    };
  }
}
