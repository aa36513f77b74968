/**
 * Everything the engine can tell about a directory without a database:
 * the checksum verdict, and per file its version, directives, sum hash and
 * statements as they will be executed. `migrate inspect` prints it and
 * `migrate validate` fails on its errors, so both always agree.
 */
import { binaryToUtf8 } from './binary-text';
import type { SqlSyntax } from './dialects/syntax';
import type { MigrationDirectory } from './directory';
import { MigrateError } from './errors';
import type { MigrationFile } from './migration-file';
import { fileStatements, type Statement } from './statements';
import { txModeDirective } from './txmode';

export interface FileReport {
  readonly file: MigrationFile;
  /** The `atlas.sum` entry this file should have (with `h1:`); undefined for `atlas:sum ignore`. */
  readonly hash: string | undefined;
  readonly txMode: 'none' | 'file' | undefined;
  readonly checkpointTag: string | undefined;
  /** Undefined when no dialect was given, or when splitting failed. */
  readonly statements: readonly Statement[] | undefined;
  /** Directive or scan errors, in the order found. */
  readonly errors: readonly MigrateError[];
}

export interface DirectoryReport {
  readonly directory: MigrationDirectory;
  /** The computed `atlas.sum` total, with `h1:`. */
  readonly sumTotal: string;
  /** Undefined when `atlas.sum` matches the files. */
  readonly sumError: MigrateError | undefined;
  readonly files: readonly FileReport[];
}

function capture<T>(errors: MigrateError[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MigrateError) {
      errors.push(e);
      return undefined;
    }
    throw e;
  }
}

function inspectFile(directory: MigrationDirectory, file: MigrationFile, syntax: SqlSyntax | undefined): FileReport {
  const errors: MigrateError[] = [];
  const hash = directory.computedSum().hashOf(file.name);
  const txMode = capture(errors, () => txModeDirective(file));
  const statements = syntax === undefined ? undefined : capture(errors, () => fileStatements(file, syntax));
  const tag = file.checkpointTag;
  return {
    file,
    hash: hash === undefined ? undefined : `h1:${hash}`,
    txMode,
    checkpointTag: tag === undefined ? undefined : binaryToUtf8(tag),
    statements,
    errors,
  };
}

/** Inspects every file; `syntax` (a dialect's) enables statement splitting. */
export function inspectDirectory(directory: MigrationDirectory, syntax?: SqlSyntax): DirectoryReport {
  const sumErrors: MigrateError[] = [];
  capture(sumErrors, () => directory.validate());
  return {
    directory,
    sumTotal: `h1:${directory.computedSum().total}`,
    sumError: sumErrors[0],
    files: directory.files.map((f) => inspectFile(directory, f, syntax)),
  };
}

/** Every error in the report: the checksum first, then per file. */
export function reportErrors(report: DirectoryReport): MigrateError[] {
  return [...(report.sumError === undefined ? [] : [report.sumError]), ...report.files.flatMap((f) => f.errors)];
}
