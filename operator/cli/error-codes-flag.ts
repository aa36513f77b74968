import { DEFAULT_ERROR_CODES, parseCodePatterns, UnknownLintCodeError } from '../migrate/lint/codes';
import { UsageError } from './io';

/**
 * `--error-codes`: the codes (or `DS*`-style prefixes) whose findings fail
 * `migrate lint`, replacing the default set; `none` fails on nothing. An
 * unknown code is a usage error: a typo must not switch a check off.
 */
export function errorCodesFlag(value: string | undefined): readonly string[] {
  if (value === undefined) return DEFAULT_ERROR_CODES;
  if (value.trim().toLowerCase() === 'none') return [];
  let patterns: string[];
  try {
    patterns = parseCodePatterns(value);
  } catch (e) {
    if (e instanceof UnknownLintCodeError) throw new UsageError(`--error-codes: ${e.message}`);
    throw e;
  }
  if (patterns.length === 0) throw new UsageError(`--error-codes ${JSON.stringify(value)}: give codes such as DS*,MF103, or none`);
  return patterns;
}
