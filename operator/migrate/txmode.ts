/**
 * Transaction modes: `file` (one transaction per file, the default), `all`
 * (one for the whole run) and `none`. A file can choose its own with a
 * header directive `-- atlas:txmode none|file`, under Atlas's rules.
 */
import { binaryToUtf8 } from './binary-text';
import { InvalidDirectiveError } from './errors';
import { goQuote } from './go-quote';
import type { MigrationFile } from './migration-file';

export const TX_MODES = ['none', 'file', 'all'] as const;
export type TxMode = (typeof TX_MODES)[number];

/** The file's own `atlas:txmode` directive, if valid and present. */
export function txModeDirective(file: MigrationFile): 'none' | 'file' | undefined {
  const found = file.directive('txmode').map(binaryToUtf8);
  const name = goQuote(file.name);
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    throw new InvalidDirectiveError(file.name, `multiple txmode values found in file ${name}: [${found.map(goQuote).join(' ')}]`);
  }
  const mode = found[0];
  if (mode === 'none' || mode === 'file') return mode;
  if (mode === 'all') {
    throw new InvalidDirectiveError(file.name, `txmode "all" is not allowed in file directive ${name}. Use "file" instead`);
  }
  throw new InvalidDirectiveError(file.name, `unknown txmode ${goQuote(mode ?? '')} found in file directive ${name}`);
}

/** The mode a file runs in, given the run's global mode. */
export function effectiveTxMode(file: MigrationFile, global: TxMode): TxMode {
  const own = txModeDirective(file);
  if (own === undefined || own === global) return global;
  if (global === 'all') {
    throw new InvalidDirectiveError(
      file.name,
      `cannot set txmode directive to ${goQuote(own)} in ${goQuote(file.name)} when txmode "all" is set globally`,
    );
  }
  return own;
}
