/**
 * A column type as written in a definition (`varchar(255)`, `int unsigned`,
 * `numeric(10,2)[]`, `timestamp(3) with time zone`), read up to the first
 * word that starts a column attribute.
 */
import type { TokenCursor } from './cursor';
import type { Token } from './tokens';

export interface ColumnType {
  /** Normalized spelling for messages: lower-case words, arguments, `[]`. */
  readonly text: string;
  /** The type's words without attributes, lower case: `character varying`, `int`. */
  readonly base: string;
  /** Numeric arguments in parentheses (lengths, precision, scale). */
  readonly args: readonly number[];
  readonly unsigned: boolean;
  readonly array: boolean;
}

/** Words that end the type and begin the column's attributes. */
const ATTRIBUTE_WORDS = new Set([
  'NOT', 'NULL', 'DEFAULT', 'PRIMARY', 'UNIQUE', 'REFERENCES', 'CHECK', 'CONSTRAINT', 'COLLATE', 'GENERATED',
  'AS', 'AUTO_INCREMENT', 'AUTOINCREMENT', 'COMMENT', 'ON', 'USING', 'FIRST', 'AFTER', 'VISIBLE', 'INVISIBLE',
  'STORED', 'VIRTUAL', 'SRID', 'IDENTITY', 'KEY', 'CHARSET', 'COMPRESSION', 'STORAGE', 'COLUMN_FORMAT', 'ENGINE_ATTRIBUTE',
  'SECONDARY_ENGINE_ATTRIBUTE', 'CASCADE', 'RESTRICT',
]);
const SIGN_WORDS = new Set(['UNSIGNED', 'SIGNED', 'ZEROFILL']);

function endsType(c: TokenCursor): boolean {
  const t = c.peek();
  if (t?.kind !== 'word') return true;
  // `CHARACTER VARYING` is a type; `CHARACTER SET utf8` is an attribute.
  if (t.keyword === 'CHARACTER') return c.peek(1)?.keyword === 'SET';
  return ATTRIBUTE_WORDS.has(t.keyword);
}

function argumentsText(inner: readonly Token[]): string {
  return inner.map((t) => (t.kind === 'punct' && t.text === ',' ? ',' : t.text)).join('');
}

interface TypeParts {
  readonly words: string[];
  readonly args: number[];
  written: string;
  unsigned: boolean;
  array: boolean;
}

/** Reads `(…)` arguments or a `[]` array suffix; false when neither is at the cursor. */
function readTypeSuffix(c: TokenCursor, parts: TypeParts): boolean {
  if (c.isPunct('(') && parts.words.length > 0) {
    const inner = c.readParenthesized() ?? [];
    parts.args.push(...inner.filter((t) => t.kind === 'number').map((t) => Number(t.text)));
    parts.written += `(${argumentsText(inner)})`;
    return true;
  }
  if (!c.isPunct('[')) return false;
  while (!c.atEnd() && !c.isPunct(']')) c.next();
  c.next();
  parts.array = true;
  return true;
}

/** Reads one part of a type into `parts`; false at the type's end. */
function readTypePart(c: TokenCursor, parts: TypeParts): boolean {
  if (readTypeSuffix(c, parts)) return true;
  if (endsType(c)) return false;
  const word = c.next()?.keyword ?? '';
  if (SIGN_WORDS.has(word)) {
    parts.unsigned ||= word === 'UNSIGNED';
    return true;
  }
  parts.words.push(word.toLowerCase());
  parts.written += `${parts.written === '' ? '' : ' '}${word.toLowerCase()}`;
  return true;
}

/** Reads a type at the cursor; undefined when no type word is there. */
export function readColumnType(c: TokenCursor): ColumnType | undefined {
  const parts: TypeParts = { words: [], args: [], written: '', unsigned: false, array: false };
  while (!c.atEnd() && readTypePart(c, parts));
  if (parts.words.length === 0) return undefined;
  const text = `${parts.written}${parts.unsigned ? ' unsigned' : ''}${parts.array ? '[]' : ''}`;
  return { text, base: parts.words.join(' '), args: parts.args, unsigned: parts.unsigned, array: parts.array };
}
