import { readDirectoryFolder, type MigrationDirectory } from '../migrate/directory';
import { DEFAULT_DIR, resolveDirFlag } from './dir-flag';

/** Reads the directory named by `--dir` (Atlas's default: ./migrations). */
export function loadDirectory(dirFlag: string | undefined): MigrationDirectory {
  return readDirectoryFolder(resolveDirFlag(dirFlag ?? DEFAULT_DIR));
}
