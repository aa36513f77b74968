/**
 * The statement splitter. It reproduces Atlas's scanner byte for byte: the
 * scanned text (trailing `;` included) is what gets executed, counted in
 * `total` and hashed into `partial_hashes`, so any difference would break a
 * database shared with the Atlas CLI.
 *
 * It works on binary text (one char per byte) with absolute offsets. Go's
 * scanner keeps `input` (the unscanned rest) and `pos` (a position inside
 * it); here `start` is where `input` begins and `cur` is `start + pos`.
 */
import { goQuoteBytes, goQuoteRune } from './go-quote';
import { runeWidthAt, skipSpaceForward, trimSpaceBounds } from './binary-text';
import { directiveArgs } from './directives';
import { StatementScanError } from './errors';
import type { SqlSyntax } from './dialects/syntax';

export interface ScannedStatement {
  /** Statement text as binary text: exactly the bytes that are executed and hashed. */
  readonly raw: string;
  /** Byte offset of the statement's first byte in the scanned input. */
  readonly offset: number;
  /** Comments attached in front of the statement (binary text). */
  readonly comments: readonly string[];
}

const DEFAULT_DELIMITER = ';';
const EOS = -1;
// Go's RE2 `\s` is ASCII-only: [\t\n\f\r ].
const BEGIN_ATOMIC = /[\t\n\f\r ]*BEGIN[\t\n\f\r ]+ATOMIC[\t\n\f\r ]+/iy;
const BEGIN = /[\t\n\f\r ]*BEGIN[\t\n\f\r ]+/iy;
const END = /^[\t\n\f\r ]*END[\t\n\f\r ]*/i;
// `^\$([A-Za-zÈ-ÿ_][\wÈ-ÿ]*)*\$` over UTF-8 bytes (È-ÿ is C3 88 … C3 BF). Written with `?`
// instead of the outer `*`: the same strings, since the first class is inside the second, but
// without the nested quantifier that backtracks exponentially in JavaScript (RE2 never does).
const DOLLAR_QUOTE = /\$(?:(?:[A-Za-z_]|\xc3[\x88-\xbf])(?:[0-9A-Za-z_]|\xc3[\x88-\xbf])*)?\$/y;
const CH = {
  tab: 0x09,
  newline: 0x0a,
  formFeed: 0x0c,
  carriageReturn: 0x0d,
  space: 0x20,
  doubleQuote: 0x22,
  hash: 0x23,
  dollar: 0x24,
  singleQuote: 0x27,
  openParen: 0x28,
  closeParen: 0x29,
  star: 0x2a,
  dash: 0x2d,
  slash: 0x2f,
  backslash: 0x5c,
  backtick: 0x60,
} as const;

function isRe2Space(c: number): boolean {
  return c === CH.space || c === CH.tab || c === CH.newline || c === CH.formFeed || c === CH.carriageReturn;
}

/** Cheap pre-check before a BEGIN regex: the match starts with white space or "B". */
function mayOpenBlock(c: number): boolean {
  return c === 0x42 || c === 0x62 || isRe2Space(c);
}

function matchAt(re: RegExp, text: string, index: number): string | undefined {
  if (index < 0) return undefined;
  re.lastIndex = index;
  const m = re.exec(text);
  return m === null ? undefined : m[0];
}

/** Memo of BEGIN-block sub-scans by start offset, so nested blocks cost linear, not exponential, time. */
type BlockMemo = Map<string, number | undefined>;

class Scanner {
  private src = '';
  private start = 0;
  private cur = 0;
  private origin = 0;
  private width = 0;
  private delim = DEFAULT_DELIMITER;
  private comments: string[] = [];

  constructor(
    private readonly syntax: SqlSyntax,
    private readonly memo: BlockMemo,
  ) {}

  /** Bytes consumed since the input began (Go's `total`). */
  get total(): number {
    return this.cur - this.origin;
  }

  init(src: string, from: number): void {
    this.src = src;
    this.start = from;
    this.cur = from;
    this.origin = from;
    this.delim = DEFAULT_DELIMITER;
    this.comments = [];
    const args = directiveArgs(src, 'delimiter', '-- ', from);
    if (args === undefined) return;
    this.setDelimiter(args);
    const newline = src.indexOf('\n', from);
    if (newline === -1) {
      throw this.error(0, `no input found after delimiter ${goQuoteBytes(args)}`);
    }
    this.start = this.cur = this.origin = newline + 1;
  }

  /**
   * The next statement, or undefined at the end of the input. One chain of
   * cases, in Atlas's order: the order is the behaviour (a delimiter wins
   * over a comment, a quote over a delimiter), so it is kept in one place.
   */
  // eslint-disable-next-line complexity
  statement(): ScannedStatement | undefined {
    let depth = 0;
    let openingPos = 0;
    let textEnd: number;
    this.skipSpaces();
    for (;;) {
      const r = this.next();
      const pos = this.cur - this.start;
      if (r === EOS) {
        if (depth > 0) throw this.error(openingPos, "unclosed '('");
        if (pos > 0) {
          textEnd = this.src.length;
          break;
        }
        return undefined;
      }
      if (r === CH.openParen) {
        if (depth === 0) openingPos = pos;
        depth++;
      } else if (r === CH.closeParen) {
        if (depth === 0) throw this.error(pos, "unexpected ')'");
        depth--;
      } else if (r === CH.singleQuote || r === CH.doubleQuote || r === CH.backtick) {
        this.skipQuote(r);
      } else if (pos === 1 && this.isDelimiterCommand()) {
        this.cur += 'delimiter'.length - 1;
        this.delimiterCommand();
        this.skipSpaces();
      } else if (depth === 0 && r === this.delim.charCodeAt(0) && this.src.startsWith(this.delim, this.cur - this.width)) {
        this.cur += this.delim.length - this.width;
        textEnd = this.cur;
        break;
      } else if (this.syntax.matchDollarQuote && r === CH.dollar && matchAt(DOLLAR_QUOTE, this.src, this.cur - 1)) {
        this.skipDollarQuote();
      } else if (r === CH.hash && this.syntax.hashComments) {
        this.comment('#', '\n');
      } else if (r === CH.dash && this.peek() === CH.dash) {
        this.cur++;
        this.comment('--', '\n');
      } else if (r === CH.slash && this.peek() === CH.star) {
        this.cur++;
        this.comment('/*', '*/');
      } else if (!mayOpenBlock(r)) {
        // Fast path: every case below starts at white space or "B".
        continue;
      } else if (this.atBeginAtomic()) {
        // A BEGIN ATOMIC that never ends is plain text; Atlas then tries no other block here.
        if (this.skipBlock('atomic')) {
          textEnd = this.cur;
          break;
        }
      } else if (this.atBegin(pos) && this.skipBlock('begin')) {
        textEnd = this.cur;
        break;
      }
    }
    return this.emit(textEnd);
  }

  private next(): number {
    if (this.cur >= this.src.length) return EOS;
    const c = this.src.charCodeAt(this.cur);
    this.width = c < 0x80 ? 1 : runeWidthAt(this.src, this.cur);
    this.cur += this.width;
    return c;
  }

  private peek(): number {
    return this.cur >= this.src.length ? EOS : this.src.charCodeAt(this.cur);
  }

  private skipSpaces(): void {
    const skipped = skipSpaceForward(this.src, this.start) - this.start;
    this.start += skipped;
    this.cur += skipped;
  }

  private isDelimiterCommand(): boolean {
    const n = 'delimiter'.length;
    return this.src.length - this.start > n && this.src.slice(this.start, this.start + n).toLowerCase() === 'delimiter';
  }

  private skipQuote(quote: number): void {
    const pos = this.cur - this.start;
    // Atlas's E'…' check reads the quote itself, so it only ever applies with backslash escapes on.
    const escaped =
      this.syntax.backslashEscapes ||
      (this.syntax.escapedStringExt && pos > 0 && /[Ee]/.test(this.src.charAt(this.cur - 1)));
    for (;;) {
      const r = this.next();
      if (r === EOS) throw this.error(pos, `unclosed quote ${goQuoteRune(String.fromCharCode(quote))}`);
      if (r === CH.backslash && escaped) this.next();
      else if (r === quote) return;
    }
  }

  private skipDollarQuote(): void {
    const tag = matchAt(DOLLAR_QUOTE, this.src, this.cur - 1) ?? '$';
    const close = this.src.indexOf(tag, this.cur - 1 + tag.length);
    // An unterminated dollar quote runs to the end of the input without error (as in Atlas).
    this.cur = close === -1 ? this.src.length : close + tag.length;
  }

  private comment(left: string, right: string): void {
    const end = this.src.indexOf(right, this.cur);
    if (end === -1) return; // Unterminated: not a comment, keep scanning it as text.
    const atStatementStart = this.cur - this.start === left.length;
    this.cur = end + right.length;
    if (!atStatementStart) return;
    this.comments.push(this.src.slice(this.start, this.cur));
    this.start = this.cur;
    // A blank line detaches the comment group from the statement that follows.
    if (this.src.startsWith('\n\n', this.start) || (right === '\n' && this.src.startsWith('\n', this.start))) {
      this.comments = [];
    }
    this.skipSpaces();
  }

  private atBeginAtomic(): boolean {
    return (
      this.delim === DEFAULT_DELIMITER &&
      this.syntax.matchBeginAtomic &&
      matchAt(BEGIN_ATOMIC, this.src, this.cur - 1) !== undefined
    );
  }

  private atBegin(pos: number): boolean {
    if (this.delim !== DEFAULT_DELIMITER || !this.syntax.matchBegin) return false;
    if (pos === 1) return matchAt(BEGIN, this.src, this.cur - 1) !== undefined;
    // Mid-statement, Atlas matches from the previous byte. Only a white-space
    // previous byte can lead to a block: a match that starts at "B" would
    // leave the block scan at "EGIN", which never matches.
    return pos > 1 && isRe2Space(this.src.charCodeAt(this.cur - 2)) && matchAt(BEGIN, this.src, this.cur - 2) !== undefined;
  }

  /**
   * Scans a `BEGIN [ATOMIC] … END` block with a nested scanner. Returns false
   * (leaving the position untouched) when the block never ends, so that
   * `BEGIN;` and `BEGIN TRANSACTION;` stay ordinary statements.
   */
  private skipBlock(kind: 'begin' | 'atomic'): boolean {
    const opening = matchAt(kind === 'atomic' ? BEGIN_ATOMIC : BEGIN, this.src, this.cur - 1);
    if (opening === undefined) return false;
    const bodyStart = this.cur - 1 + opening.length;
    const key = `${kind}:${bodyStart}`;
    let consumed: number | undefined;
    if (this.memo.has(key)) {
      consumed = this.memo.get(key);
    } else {
      consumed = this.scanBlockBody(kind, bodyStart);
      this.memo.set(key, consumed);
    }
    if (consumed === undefined) return false;
    this.cur = bodyStart + consumed;
    return true;
  }

  private scanBlockBody(kind: 'begin' | 'atomic', bodyStart: number): number | undefined {
    const body = new Scanner(this.syntax, this.memo);
    try {
      body.init(this.src, bodyStart);
      for (;;) {
        const stmt = body.statement();
        if (stmt === undefined) return undefined;
        const end = END.exec(stmt.raw);
        if (end === null) continue;
        if (kind === 'atomic' || end[0].length === stmt.raw.length || stmt.raw.slice(end[0].length) === this.delim) {
          return body.total;
        }
      }
    } catch (e) {
      if (e instanceof StatementScanError) return undefined;
      throw e;
    }
  }

  private emit(textEnd: number): ScannedStatement {
    let end = textEnd;
    if (this.delim !== DEFAULT_DELIMITER && this.src.startsWith(this.delim, end - this.delim.length) && end - this.delim.length >= this.start) {
      end -= this.delim.length;
    }
    const [a, b] = trimSpaceBounds(this.src, this.start, end);
    const stmt: ScannedStatement = { raw: this.src.slice(a, b), offset: a, comments: this.comments };
    this.start = this.cur;
    this.comments = [];
    return stmt;
  }

  private delimiterCommand(): void {
    if (this.peek() !== CH.space) return;
    const newline = this.src.indexOf('\n', this.cur);
    this.cur = newline === -1 ? this.src.length : newline + 1;
    const [a, b] = trimSpaceBounds(this.src, this.start + 'delimiter'.length, this.cur);
    let delim = this.src.slice(a, b);
    // The MySQL client accepts a quoted delimiter.
    if (delim.startsWith("'") && delim.endsWith("'")) delim = delim.slice(1, -1).replaceAll("''", "'");
    this.setDelimiter(delim);
    this.start = this.cur;
    this.comments = [];
  }

  private setDelimiter(delim: string): void {
    if (delim === '') throw new StatementScanError(0, 0, 'empty delimiter');
    this.delim = delim.replace(/\\[nrt]/g, (s) => (s === '\\n' ? '\n' : s === '\\r' ? '\r' : '\t'));
  }

  private error(pos: number, reason: string): StatementScanError {
    const p = this.start + pos;
    const lastNewline = this.src.lastIndexOf('\n', p - 1);
    let line = 1;
    for (let i = this.src.indexOf('\n'); i !== -1 && i < p; i = this.src.indexOf('\n', i + 1)) line++;
    const column = line === 1 ? p : p - lastNewline - 1;
    return new StatementScanError(line, column, reason);
  }
}

/**
 * Splits binary text into statements with the given dialect syntax.
 * Throws StatementScanError (`line:col: reason`) for malformed input.
 */
export function scanStatements(text: string, syntax: SqlSyntax): ScannedStatement[] {
  const scanner = new Scanner(syntax, new Map());
  const out: ScannedStatement[] = [];
  try {
    scanner.init(text, 0);
    for (let s = scanner.statement(); s !== undefined; s = scanner.statement()) out.push(s);
  } catch (e) {
    // Nesting deeper than the JavaScript stack allows is reported, not thrown raw.
    if (e instanceof RangeError) throw new StatementScanError(0, 0, 'statement nesting too deep to scan');
    throw e;
  }
  return out;
}
