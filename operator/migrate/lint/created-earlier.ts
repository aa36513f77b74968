/**
 * Whether an object missing from the live database is made by an earlier
 * statement of the same plan, so a live check can say "does not exist yet"
 * rather than "does not exist". A textual heuristic on purpose: it only
 * picks the wording, never a count, so a miss costs one word.
 */
import type { Statement } from '../statements';

export interface MissingObject {
  readonly what: 'schema' | 'table' | 'column';
  readonly table?: string;
  readonly name: string;
}

/** Quotes removed, lower case, one space between words: `CREATE TABLE "Users"` → `create table users`. */
function normalize(sql: string): string {
  return sql.replace(/["`[\]]/g, '').toLowerCase().replace(/\s+/g, ' ');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A name as it appears in normalized text: optionally schema-qualified, not part of a longer word. */
function nameAt(name: string): string {
  return `(?:[\\w$]+\\.)?${escapeRegExp(name.toLowerCase())}(?![\\w$])`;
}

function createsSchema(sql: string, name: string): boolean {
  return new RegExp(`\\bcreate (?:schema|database) (?:if not exists )?${escapeRegExp(name.toLowerCase())}(?![\\w$])`).test(sql);
}

function createsTable(sql: string, table: string): boolean {
  const create = new RegExp(`\\bcreate (?:(?:global |local )?(?:temporary |temp )|unlogged )?table (?:if not exists )?${nameAt(table)}`);
  const rename = new RegExp(`\\brename (?:table [\\w$.]+ )?to ${nameAt(table)}`);
  return create.test(sql) || rename.test(sql);
}

function addsColumn(sql: string, table: string, column: string): boolean {
  const word = new RegExp(`(?<![\\w$])${escapeRegExp(column.toLowerCase())}(?![\\w$])`);
  if (createsTable(sql, table)) return word.test(sql);
  const alter = new RegExp(`^alter table (?:if exists )?(?:only )?${nameAt(table)}`);
  return alter.test(sql.trimStart()) && /\b(?:add|rename|change)\b/.test(sql) && word.test(sql);
}

/** Whether one of `earlier` (statements before the finding, in plan order) creates the object. */
export function createdEarlier(earlier: readonly Pick<Statement, 'text'>[], missing: MissingObject): boolean {
  return earlier.some((s) => {
    const sql = normalize(s.text);
    if (missing.what === 'schema') return createsSchema(sql, missing.name);
    if (missing.what === 'table') return createsTable(sql, missing.name);
    return missing.table !== undefined && addsColumn(sql, missing.table, missing.name);
  });
}
