/**
 * Whether a column type change can lose values: every type is placed in a
 * family with a capacity (bytes, characters, digits, fractional digits), and
 * a change is judged by comparing them. A change across families that is
 * not a known widening counts as a conversion: values may not convert.
 */
import type { DialectName } from '../dialects/syntax';
import type { ColumnType } from './column-type';

type Family = 'integer' | 'text' | 'binary' | 'decimal' | 'float' | 'datetime' | 'time' | 'date' | 'other';

interface TypeShape {
  readonly family: Family;
  /** Bytes (integer, float), characters/bytes (text, binary), integer digits (decimal), fractional second digits (datetime, time). */
  readonly capacity: number;
  /** Decimal digits after the point (decimal only). */
  readonly scale: number;
  readonly unsigned: boolean;
}

export type TypeChange = 'same' | 'wider' | 'narrower' | 'converted';

const INTEGER_BYTES: Readonly<Record<string, number>> = {
  tinyint: 1, smallint: 2, int2: 2, smallserial: 2, serial2: 2, mediumint: 3, int: 4, integer: 4, int4: 4,
  serial: 4, serial4: 4, bigint: 8, int8: 8, bigserial: 8, serial8: 8,
};
/** Decimal digits of the largest value an integer of n bytes holds. */
const INTEGER_DIGITS: Readonly<Record<number, number>> = { 1: 3, 2: 5, 3: 8, 4: 10, 8: 19 };
const FIXED_CHAR = new Set(['char', 'character', 'nchar', 'bpchar', 'national char', 'national character']);
const VARYING_CHAR = new Set(['varchar', 'character varying', 'char varying', 'nvarchar', 'national varchar', 'nchar varying', 'varchar2']);
const SIZED_TEXT: Readonly<Record<string, number>> = { tinytext: 255, mediumtext: 16777215, longtext: 4294967295, citext: Infinity };
const SIZED_BLOB: Readonly<Record<string, number>> = { tinyblob: 255, mediumblob: 16777215, longblob: 4294967295, bytea: Infinity };
const DATETIME = new Set(['datetime', 'timestamp', 'timestamptz', 'timestamp with time zone', 'timestamp without time zone']);
const TIME = new Set(['time', 'timetz', 'time with time zone', 'time without time zone']);
const DECIMAL = new Set(['decimal', 'numeric', 'dec', 'fixed']);
const DOUBLE = new Set(['double', 'double precision', 'float8']);

function shape(family: Family, capacity: number, t: ColumnType, scale = 0): TypeShape {
  return { family, capacity, scale, unsigned: t.unsigned };
}

function integerShape(t: ColumnType, dialect: DialectName): TypeShape | undefined {
  const bytes = INTEGER_BYTES[t.base];
  if (bytes !== undefined) return shape('integer', bytes, t);
  // MySQL's BOOLEAN is TINYINT(1); PostgreSQL's is its own type.
  if (dialect === 'mysql' && (t.base === 'bool' || t.base === 'boolean')) return shape('integer', 1, t);
  return undefined;
}

function textShape(t: ColumnType, dialect: DialectName): TypeShape | undefined {
  const length = t.args[0];
  if (FIXED_CHAR.has(t.base)) return shape('text', length ?? 1, t);
  if (VARYING_CHAR.has(t.base)) return shape('text', length ?? Infinity, t);
  if (t.base === 'text') return shape('text', length ?? (dialect === 'mysql' ? 65535 : Infinity), t);
  const sized = SIZED_TEXT[t.base];
  return sized === undefined ? undefined : shape('text', sized, t);
}

function binaryShape(t: ColumnType, dialect: DialectName): TypeShape | undefined {
  const length = t.args[0];
  if (t.base === 'binary') return shape('binary', length ?? 1, t);
  if (t.base === 'varbinary') return shape('binary', length ?? Infinity, t);
  if (t.base === 'blob') return shape('binary', length ?? (dialect === 'mysql' ? 65535 : Infinity), t);
  const sized = SIZED_BLOB[t.base];
  return sized === undefined ? undefined : shape('binary', sized, t);
}

function decimalShape(t: ColumnType, dialect: DialectName): TypeShape | undefined {
  if (!DECIMAL.has(t.base)) return undefined;
  const [precision, scale = 0] = t.args;
  // Without arguments MySQL means DECIMAL(10,0); PostgreSQL means unbounded.
  if (precision === undefined) return dialect === 'mysql' ? shape('decimal', 10, t, 0) : shape('decimal', Infinity, t, Infinity);
  return shape('decimal', precision - scale, t, scale);
}

function floatShape(t: ColumnType, dialect: DialectName): TypeShape | undefined {
  if (DOUBLE.has(t.base)) return shape('float', 8, t);
  if (t.base === 'float4') return shape('float', 4, t);
  // MySQL's REAL is DOUBLE unless REAL_AS_FLOAT is set.
  if (t.base === 'real') return shape('float', dialect === 'mysql' ? 8 : 4, t);
  if (t.base !== 'float') return undefined;
  const precision = t.args.length === 1 ? t.args[0] : undefined;
  const bits = precision ?? (dialect === 'mysql' ? 24 : 53);
  return shape('float', bits <= 24 ? 4 : 8, t);
}

function temporalShape(t: ColumnType, dialect: DialectName): TypeShape | undefined {
  if (t.base === 'date') return shape('date', 0, t);
  const fraction = t.args[0] ?? (dialect === 'postgres' ? 6 : 0);
  if (DATETIME.has(t.base)) return shape('datetime', fraction, t);
  if (TIME.has(t.base)) return shape('time', fraction, t);
  return undefined;
}

const SHAPERS = [integerShape, textShape, binaryShape, decimalShape, floatShape, temporalShape];

function shapeOf(t: ColumnType, dialect: DialectName): TypeShape {
  for (const shaper of SHAPERS) {
    const s = shaper(t, dialect);
    if (s !== undefined) return s;
  }
  return shape('other', 0, t);
}

function byCapacity(from: number, to: number): TypeChange {
  if (to === from) return 'same';
  return to < from ? 'narrower' : 'wider';
}

function integerChange(from: TypeShape, to: TypeShape): TypeChange {
  // Signed → unsigned loses negatives; unsigned → signed of the same size loses the top half.
  if (!from.unsigned && to.unsigned) return 'narrower';
  if (from.unsigned && !to.unsigned) return to.capacity > from.capacity ? 'wider' : 'narrower';
  return byCapacity(from.capacity, to.capacity);
}

function decimalChange(from: TypeShape, to: TypeShape): TypeChange {
  if (to.capacity < from.capacity || to.scale < from.scale) return 'narrower';
  return to.capacity === from.capacity && to.scale === from.scale ? 'same' : 'wider';
}

function integerDigits(from: TypeShape): number {
  const digits = INTEGER_DIGITS[from.capacity] ?? 20;
  return from.unsigned && from.capacity === 8 ? digits + 1 : digits;
}

/** Changes across families that keep every value. */
function crossFamilyChange(from: TypeShape, to: TypeShape): TypeChange {
  if (to.family === 'text' && to.capacity === Infinity) return 'wider';
  if (from.family === 'date' && to.family === 'datetime') return 'wider';
  return from.family === 'integer' ? integerToOther(from, to) : 'converted';
}

function integerToOther(from: TypeShape, to: TypeShape): TypeChange {
  const digits = integerDigits(from);
  if (to.family === 'decimal') return to.capacity >= digits ? 'wider' : 'narrower';
  if (to.family === 'text') return to.capacity > digits ? 'wider' : 'narrower';
  if (to.family === 'float') return to.capacity >= 2 * from.capacity && from.capacity <= 4 ? 'wider' : 'narrower';
  return 'converted';
}

/** How a column's values fare when its type changes from `from` to `to`. */
export function compareColumnTypes(from: ColumnType, to: ColumnType, dialect: DialectName): TypeChange {
  if (from.text === to.text) return 'same';
  if (from.array !== to.array) return 'converted';
  const a = shapeOf(from, dialect);
  const b = shapeOf(to, dialect);
  if (a.family !== b.family) return crossFamilyChange(a, b);
  if (a.family === 'integer') return integerChange(a, b);
  if (a.family === 'decimal') return decimalChange(a, b);
  // Texts differ: an enum's values, a user type… may not convert.
  if (a.family === 'other') return 'converted';
  return byCapacity(a.capacity, b.capacity);
}

/** A type no value of any other type is too big for (PostgreSQL text, MySQL LONGTEXT…): it cannot narrow. */
export function holdsAnyValue(t: ColumnType, dialect: DialectName): boolean {
  const s = shapeOf(t, dialect);
  return !t.array && s.family === 'text' && s.capacity >= 4294967295;
}
