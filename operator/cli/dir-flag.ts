import { fileURLToPath } from 'node:url';
import { UsageError } from './io';

/** Atlas's default `--dir`. */
export const DEFAULT_DIR = 'file://migrations';

/**
 * `--dir` as Atlas accepts it: `file://relative/path`, `file:///abs/path`
 * or a plain path. Other schemes (`atlas://` is Atlas Cloud) are refused.
 */
export function resolveDirFlag(value: string): string {
  if (!value.includes('://')) return value;
  if (!value.startsWith('file://')) {
    throw new UsageError(`--dir ${JSON.stringify(value)}: only local directories (file://…) are supported`);
  }
  const [rest = '', query = ''] = value.slice('file://'.length).split('?', 2);
  const format = new URLSearchParams(query).get('format');
  if (format !== null && format !== 'atlas') {
    throw new UsageError(`--dir ${JSON.stringify(value)}: only the atlas directory format is supported, not ${JSON.stringify(format)}`);
  }
  // file:///abs is a proper URL; file://rel/path is Atlas's relative form.
  return rest.startsWith('/') ? fileURLToPath('file://' + rest) : rest;
}
