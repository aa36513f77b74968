/**
 * `atlas:<name> [args]` directives, read exactly as Atlas reads them.
 *
 * Atlas matches `^([ -~]*)atlas:(\w+)(?: +(.+))*` against a text without
 * multi-line mode, so only its first line counts; the greedy printable-ASCII
 * prefix makes the last `atlas:` token on that line win. Go's `.` matches
 * `\r`, hence `[^\n]` here: a CRLF file's argument keeps its `\r`.
 *
 * All functions take binary text (one char per byte), like the scanner.
 */

import { trimSpace } from './binary-text';

const DIRECTIVE = /^([ -~]*)atlas:(\w+)(?: +([^\n]+))*/;

export interface Directive {
  readonly prefix: string;
  readonly name: string;
  readonly args: string;
}

const DIRECTIVE_AT = new RegExp(DIRECTIVE.source.slice(1), 'y');

/** Matches a directive at the start of `text`, or at `index` (the start of a scanner's input). */
export function matchDirective(text: string, index = 0): Directive | undefined {
  DIRECTIVE_AT.lastIndex = index;
  const m = DIRECTIVE_AT.exec(text);
  if (m === null) return undefined;
  return { prefix: m[1] ?? '', name: m[2] ?? '', args: m[3] ?? '' };
}

/** The directive's argument if `text` starts with directive `name` (and `prefix`, when given). */
export function directiveArgs(text: string, name: string, prefix?: string, index = 0): string | undefined {
  const d = matchDirective(text, index);
  if (d === undefined || d.name !== name) return undefined;
  if (prefix !== undefined && d.prefix !== prefix) return undefined;
  return d.args;
}

/** A file whose first line is `<anything>atlas:sum ignore` gets no `atlas.sum` entry. */
export function isSumIgnored(content: string): boolean {
  return directiveArgs(content, 'sum') === 'ignore';
}

/**
 * The header block: leading lines starting with `#` or `--`. They are file
 * directives only when a blank line follows the block, or when the file holds
 * nothing but comments.
 */
export function headerComments(content: string): string[] {
  const comments: string[] = [];
  let at = 0;
  while (content.startsWith('#', at) || content.startsWith('--', at)) {
    const newline = content.indexOf('\n', at);
    // A last comment line without "\n" leaves text after the block, which
    // disqualifies the whole header (Atlas keeps it as unconsumed content).
    if (newline === -1) return [];
    comments.push(trimSpace(content.slice(at, newline)));
    at = newline + 1;
  }
  if (at === content.length) return comments;
  let after = at;
  while (content[after] === ' ' || content[after] === '\t') after++;
  return content[after] === '\n' ? comments : [];
}

/** Arguments of every header directive called `name`, in file order. */
export function fileDirectives(content: string, name: string): string[] {
  const found: string[] = [];
  for (const comment of headerComments(content)) {
    const args = directiveArgs(comment, name);
    if (args !== undefined) found.push(args);
  }
  return found;
}
