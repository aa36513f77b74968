/**
 * A file's statements as they will be executed, with their source position
 * and the cumulative hashes Atlas stores in `partial_hashes`.
 */
import { createHash } from 'node:crypto';
import { binaryToBytes, binaryToUtf8 } from './binary-text';
import type { SqlSyntax } from './dialects/syntax';
import { StatementScanError } from './errors';
import type { MigrationFile } from './migration-file';
import { scanStatements } from './scanner';

export class Statement {
  constructor(
    /** The file the statement comes from. */
    readonly file: string,
    /** 0-based position in the file. */
    readonly index: number,
    /** 1-based line of the statement's first character. */
    readonly line: number,
    /** Exact bytes as binary text: what is hashed. */
    readonly raw: string,
    /** Comments attached in front of it (binary text). */
    readonly comments: readonly string[],
  ) {}

  /** The text sent to the database (UTF-8). */
  get text(): string {
    return binaryToUtf8(this.raw);
  }
}

/** Splits a file with a dialect's syntax. Scan errors name the file: `sql/migrate: scanning statements from "f": 3:7: …`. */
export function fileStatements(file: MigrationFile, syntax: SqlSyntax): Statement[] {
  let scanned;
  try {
    scanned = scanStatements(file.binary, syntax);
  } catch (e) {
    if (e instanceof StatementScanError) throw e.inFile(file.name);
    throw e;
  }
  const src = file.binary;
  const out: Statement[] = [];
  let line = 1;
  let counted = 0;
  for (const [index, s] of scanned.entries()) {
    // Offsets only grow, so lines are counted once over the file.
    for (let i = src.indexOf('\n', counted); i !== -1 && i < s.offset; i = src.indexOf('\n', i + 1)) line++;
    counted = s.offset;
    out.push(new Statement(file.name, index, line, s.raw, s.comments));
  }
  return out;
}

/**
 * `partial_hashes`: entry i is `h1:` + base64 SHA-256 of the texts of
 * statements 0..i concatenated. A resumed file must reproduce the stored
 * prefix, or its applied statements were edited.
 */
export function cumulativeStatementHashes(statements: readonly Pick<Statement, 'raw'>[]): string[] {
  const state = createHash('sha256');
  return statements.map((s) => {
    state.update(binaryToBytes(s.raw));
    return 'h1:' + state.copy().digest('base64');
  });
}
