import type { MigrationDirectory } from '../migrate/directory';
import type { CliIo } from './io';

/** Atlas accepts several files with one version; we warn, since only the last counts for baselines and targets. */
export function reportDuplicates(io: CliIo, directory: MigrationDirectory): void {
  for (const d of directory.duplicateVersions()) {
    io.err(`Warning: version ${JSON.stringify(d.version)} is used by ${d.files.length} files: ${d.files.join(', ')}\n`);
  }
}
