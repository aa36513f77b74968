/**
 * A forward reader over a statement's tokens. Every method answers
 * "not here" with false/undefined rather than throwing, so a statement the
 * checks do not understand simply yields no finding.
 */
import type { Token } from './tokens';

export class TokenCursor {
  private pos = 0;

  constructor(readonly tokens: readonly Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  next(): Token | undefined {
    const t = this.tokens[this.pos];
    if (t !== undefined) this.pos++;
    return t;
  }

  /** The current token is a word, one of `keywords` (upper case) when given. */
  isWord(...keywords: string[]): boolean {
    const t = this.peek();
    return t?.kind === 'word' && (keywords.length === 0 || keywords.includes(t.keyword));
  }

  /** The next tokens are exactly these keywords, in order. */
  isSequence(...keywords: string[]): boolean {
    return keywords.every((k, i) => {
      const t = this.peek(i);
      return t?.kind === 'word' && t.keyword === k;
    });
  }

  /** Consumes one word among `keywords`; returns it (upper case) or undefined. */
  acceptWord(...keywords: string[]): string | undefined {
    if (!this.isWord(...keywords)) return undefined;
    return this.next()?.keyword;
  }

  acceptSequence(...keywords: string[]): boolean {
    if (!this.isSequence(...keywords)) return false;
    this.pos += keywords.length;
    return true;
  }

  isPunct(symbol: string): boolean {
    const t = this.peek();
    return t !== undefined && (t.kind === 'punct' || t.kind === 'operator') && t.text === symbol;
  }

  acceptPunct(symbol: string): boolean {
    if (!this.isPunct(symbol)) return false;
    this.pos++;
    return true;
  }

  /** At `(`: moves past its matching `)` (or to the end) and returns the tokens inside. */
  readParenthesized(): Token[] | undefined {
    if (!this.isPunct('(')) return undefined;
    const start = ++this.pos;
    let depth = 1;
    while (!this.atEnd()) {
      const t = this.next();
      if (t?.kind !== 'punct') continue;
      if (t.text === '(') depth++;
      if (t.text === ')' && --depth === 0) return this.tokens.slice(start, this.pos - 1);
    }
    return this.tokens.slice(start);
  }

  /** Everything not read yet. */
  rest(): Token[] {
    return this.tokens.slice(this.pos);
  }
}

/** Parenthesis depth after `t`, never below 0 (an unbalanced `)` is not trusted). */
export function depthAfter(t: Token, depth: number): number {
  if (t.kind !== 'punct') return depth;
  if (t.text === '(') return depth + 1;
  return t.text === ')' ? Math.max(0, depth - 1) : depth;
}

/** Splits tokens at `separator` punctuation outside parentheses; empty parts are dropped. */
export function splitTopLevel(tokens: readonly Token[], separator: string): Token[][] {
  const parts: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && depth === 0 && t.text === separator) {
      parts.push(current);
      current = [];
      continue;
    }
    depth = depthAfter(t, depth);
    current.push(t);
  }
  parts.push(current);
  return parts.filter((p) => p.length > 0);
}

/** True when `keyword` appears outside parentheses (a WHERE in a subquery does not count). */
export function hasTopLevelWord(tokens: readonly Token[], keyword: string): boolean {
  return topLevelTokens(tokens).some((t) => t.kind === 'word' && t.keyword === keyword);
}

/** The tokens at parenthesis depth 0. */
export function topLevelTokens(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out.push(t);
  }
  return out;
}
