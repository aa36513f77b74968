import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>>;

/** Parses a subcommand's flags; unknown flags and stray arguments are usage errors. */
export function parseFlags<T extends Options>(command: string, args: readonly string[], options: T, positionals = 0): Parsed<T> {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) {
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
    }
    return parsed;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${command}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function requireOneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined) throw new UsageError(`required flag "${flag}" not set (one of: ${allowed.join(', ')})`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}
