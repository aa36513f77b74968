/**
 * Whether a database's version has reached a wanted one, in Atlas's order:
 * versions compare as strings, byte by byte (UTF-8), as Atlas sorts
 * migration files and its revisions table. Timestamps of equal length
 * (20230316085611) therefore compare as numbers would.
 */
import { compareUtf8 } from '../migrate/file-name';

export function versionAtLeast(applied: string | undefined, wanted: string): boolean {
  return applied !== undefined && applied !== '' && compareUtf8(applied, wanted) >= 0;
}
