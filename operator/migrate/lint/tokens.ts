/**
 * A small SQL tokenizer for one statement's text, enough for the lint
 * checks to read keywords and names. Comments are dropped; quoted text and
 * dollar-quoted bodies become single tokens, so nothing inside them can look
 * like a keyword. It never throws: an unclosed quote or comment simply runs
 * to the end of the text.
 */
import type { DialectName } from '../dialects/syntax';

export type TokenKind =
  /** A keyword or unquoted identifier. */
  | 'word'
  /** An identifier in "…", `…` or […]. */
  | 'quoted'
  /** A string literal ('…', E'…', MySQL "…"). */
  | 'string'
  /** A PostgreSQL dollar-quoted body ($$…$$, $tag$…$tag$). */
  | 'dollar'
  | 'number'
  /** One of ( ) , ; . = */
  | 'punct'
  /** Any other symbol character. */
  | 'operator';

export interface Token {
  readonly kind: TokenKind;
  /** The token as written. */
  readonly text: string;
  /** Identifier or literal content with quotes and escapes removed; `text` for the rest. */
  readonly value: string;
  /** Upper-cased `text` for words (for keyword comparison), '' otherwise. */
  readonly keyword: string;
  /** Number of newlines in the statement before the token. */
  readonly line: number;
}

const PUNCT = '(),;.=';
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const NUMBER = /(?:0x[0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

class Tokenizer {
  private pos = 0;
  private newlines = 0;
  private countedTo = 0;
  /** Open MySQL `/*! … *\/` comments, whose content the server executes. */
  private executableComments = 0;
  private readonly out: Token[] = [];

  constructor(
    private readonly text: string,
    private readonly dialect: DialectName,
  ) {}

  run(): Token[] {
    while (this.pos < this.text.length) {
      if (!this.skipTrivia()) this.readToken();
    }
    return this.out;
  }

  /** Skips one run of white space or one comment; false when a token starts here. */
  private skipTrivia(): boolean {
    if (/\s/.test(this.text[this.pos] ?? '')) {
      this.pos++;
      return true;
    }
    if (this.startsLineComment()) {
      const end = this.text.indexOf('\n', this.pos);
      this.pos = end === -1 ? this.text.length : end;
      return true;
    }
    if (this.text.startsWith('/*', this.pos)) {
      this.skipBlockComment();
      return true;
    }
    if (this.executableComments > 0 && this.text.startsWith('*/', this.pos)) {
      this.executableComments--;
      this.pos += 2;
      return true;
    }
    return false;
  }

  private startsLineComment(): boolean {
    const c = this.text[this.pos];
    if (c === '#') return this.dialect === 'mysql';
    if (c !== '-' || this.text[this.pos + 1] !== '-') return false;
    // MySQL needs white space (or the end) after `--`: `1--1` is arithmetic there.
    if (this.dialect !== 'mysql') return true;
    const after = this.text[this.pos + 2];
    return after === undefined || /\s/.test(after);
  }

  private skipBlockComment(): void {
    if (this.dialect === 'mysql' && this.text[this.pos + 2] === '!') {
      // `/*!80000 DROP TABLE t */` runs on MySQL: read its content as SQL.
      this.pos += 3;
      while (/\d/.test(this.text[this.pos] ?? '')) this.pos++;
      this.executableComments++;
      return;
    }
    let depth = 0;
    while (this.pos < this.text.length) {
      if (this.text.startsWith('/*', this.pos)) {
        // Only PostgreSQL nests block comments.
        depth = this.dialect === 'postgres' || depth === 0 ? depth + 1 : depth;
        this.pos += 2;
      } else if (this.text.startsWith('*/', this.pos)) {
        this.pos += 2;
        if (--depth === 0) return;
      } else {
        this.pos++;
      }
    }
  }

  private readToken(): void {
    const start = this.pos;
    const c = this.text[start] ?? '';
    if (this.readQuotedToken(start, c)) return;
    if (c === '$' && this.dialect === 'postgres' && this.readDollarBody(start)) return;
    if (WORD_START.test(c)) return this.readWord(start);
    if (this.readNumber(start)) return;
    this.pos++;
    this.push(PUNCT.includes(c) ? 'punct' : 'operator', start, c);
  }

  /** Strings and quoted identifiers, which quote characters mean what depending on the dialect. */
  private readQuotedToken(start: number, c: string): boolean {
    const mysql = this.dialect === 'mysql';
    if (c === "'") this.push('string', start, this.readQuoted("'", mysql));
    else if (c === '"') this.push(mysql ? 'string' : 'quoted', start, this.readQuoted('"', mysql));
    else if (c === '`' && this.dialect !== 'postgres') this.push('quoted', start, this.readQuoted('`', false));
    else if (c === '[' && this.dialect === 'sqlite') this.push('quoted', start, this.readBracketed());
    else return false;
    return true;
  }

  private readWord(start: number): void {
    this.pos++;
    while (this.pos < this.text.length && WORD_PART.test(this.text[this.pos] ?? '')) this.pos++;
    const word = this.text.slice(start, this.pos);
    if (this.dialect === 'postgres' && (word === 'E' || word === 'e') && this.text[this.pos] === "'") {
      // E'…' strings take backslash escapes; without this `E'\''` would end early.
      this.push('string', start, this.readQuoted("'", true));
      return;
    }
    this.push('word', start, word);
  }

  private readNumber(start: number): boolean {
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(this.text);
    if (m === null) return false;
    this.pos = start + m[0].length;
    this.push('number', start, m[0]);
    return true;
  }

  /** Reads a quoted run starting at the opening quote; returns the content unescaped. */
  private readQuoted(quote: string, backslashEscapes: boolean): string {
    let value = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] ?? '';
      if (backslashEscapes && c === '\\') {
        value += this.text[this.pos + 1] ?? '';
        this.pos += 2;
        continue;
      }
      this.pos++;
      if (c !== quote) {
        value += c;
        continue;
      }
      if (this.text[this.pos] !== quote) return value;
      value += quote;
      this.pos++;
    }
    return value;
  }

  private readBracketed(): string {
    const end = this.text.indexOf(']', this.pos + 1);
    const stop = end === -1 ? this.text.length : end;
    const value = this.text.slice(this.pos + 1, stop);
    this.pos = Math.min(stop + 1, this.text.length);
    return value;
  }

  private readDollarBody(start: number): boolean {
    DOLLAR_TAG.lastIndex = start;
    const m = DOLLAR_TAG.exec(this.text);
    if (m === null) return false;
    const tag = m[0];
    const bodyStart = start + tag.length;
    const end = this.text.indexOf(tag, bodyStart);
    const stop = end === -1 ? this.text.length : end;
    this.pos = end === -1 ? this.text.length : end + tag.length;
    this.push('dollar', start, this.text.slice(bodyStart, stop));
    return true;
  }

  private push(kind: TokenKind, start: number, value: string): void {
    const text = this.text.slice(start, this.pos);
    this.out.push({ kind, text, value, keyword: kind === 'word' ? text.toUpperCase() : '', line: this.lineAt(start) });
  }

  /** Newlines before `offset`; offsets only grow, so the text is counted once. */
  private lineAt(offset: number): number {
    for (let i = this.text.indexOf('\n', this.countedTo); i !== -1 && i < offset; i = this.text.indexOf('\n', i + 1)) {
      this.newlines++;
    }
    this.countedTo = Math.max(this.countedTo, offset);
    return this.newlines;
  }
}

/** The tokens of one statement's text in a dialect, comments dropped. */
export function tokenize(text: string, dialect: DialectName): Token[] {
  return new Tokenizer(text, dialect).run();
}
