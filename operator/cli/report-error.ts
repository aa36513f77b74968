import { PROGRAM_NAME } from '../version';
import { ChecksumFormatError, ChecksumMismatchError, ChecksumNotFoundError, MigrateError } from '../migrate/errors';
import type { CliIo } from './io';

/**
 * Prints a failure the way the Atlas CLI does (`Error: <message>` last, on
 * stderr), with the checksum banner for checksum errors so people get the
 * same guidance as with Atlas.
 */
export function reportError(io: CliIo, error: unknown): void {
  if (error instanceof ChecksumMismatchError || error instanceof ChecksumNotFoundError || error instanceof ChecksumFormatError) {
    let banner = 'You have a checksum error in your migration directory.\n';
    if (error instanceof ChecksumMismatchError && error.describe() !== undefined) banner += `\n\t${error.describe() ?? ''}\n\n`;
    if (error instanceof ChecksumFormatError) banner += `\n\tL${error.line}: atlas.sum line without an "h1:" hash\n\n`;
    banner += `Please check your migration files and run '${PROGRAM_NAME} migrate hash' (or 'atlas migrate hash') to re-hash the contents\n\n`;
    io.err(banner);
  }
  const message = error instanceof MigrateError || error instanceof Error ? error.message : String(error);
  io.err(`Error: ${message}\n`);
}
