import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SUM_FILE_NAME } from '../migrate/file-name';
import { type CliIo, ExitCode } from './io';
import { loadDirectory } from './load-directory';
import { parseFlags } from './parse-flags';

export const migrateHashHelp = `Usage: migrate hash [--dir file://migrations]

Writes atlas.sum for the directory, byte-identical to 'atlas migrate hash'.
`;

export async function migrateHash(args: readonly string[], _io: CliIo): Promise<number> {
  const { values } = parseFlags('migrate hash', args, { dir: { type: 'string' } });
  const directory = loadDirectory(values.dir);
  await writeFile(join(directory.source, SUM_FILE_NAME), directory.computedSum().format());
  return ExitCode.Ok;
}
