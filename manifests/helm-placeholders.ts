/**
 * The one step between cdk8s and Helm values. The constructs build the same
 * objects for plain YAML and for the Helm chart; for the chart they are given
 * placeholders — short marker strings (`zz-helm-<n>`) in the construct's
 * props, or put at a JSON pointer of the object's final JSON with `bind`
 * (for typed fields a string cannot stand in for). cdk8s writes the markers
 * like any other string; `render` then turns each into Go template text:
 *
 * - `expr`: `{{ <expression> }}` wherever the marker is (a whole value or part of a string);
 * - `yaml`: `key: M` → the value's YAML (`toYaml … | nindent`);
 * - `optional`: `key: M` → the key only when the value is not empty (`with`);
 * - `items`: a list item `- M` → template lines giving zero or more items;
 * - `spliceList`: a list item `- M` → the items of a list value (appended);
 * - `spliceMap` (a marker key, `bindKey`): the entries of a map value, beside the mapping's own;
 * - `wrap` (a marker key): the enclosing node — the whole object when put at
 *   its top — between template lines (`if`, `range`);
 * - `override` (a marker key): the enclosing `key:` node replaced by the value when it is not empty.
 *
 * In template text, `$` is the root context (`$.Values…`), so an expression
 * means the same inside `range` and `with`.
 */
import { type ApiObject, JsonPatch } from 'cdk8s';

type Expansion =
  | { readonly kind: 'expr'; readonly expression: string }
  | { readonly kind: 'yaml' | 'optional' | 'spliceList' | 'spliceMap' | 'override'; readonly expression: string }
  | { readonly kind: 'items'; readonly lines: readonly string[] }
  | { readonly kind: 'wrap'; readonly open: readonly string[]; readonly close: readonly string[] };

const MARKER = /zz-helm-(\d+)/g;

export class HelmPlaceholders {
  private readonly expansions: Expansion[] = [];
  private readonly patches = new Map<ApiObject, JsonPatch[]>();

  private add(e: Expansion): string {
    this.expansions.push(e);
    return `zz-helm-${this.expansions.length - 1}`;
  }

  /** `{{ expression }}` in place (reusable; may be part of a longer string). */
  expr(expression: string): string {
    return this.add({ kind: 'expr', expression });
  }

  /** A value's YAML under its key. */
  yaml(expression: string): string {
    return this.add({ kind: 'yaml', expression });
  }

  /** A value's YAML under its key; the key is left out when the value is empty. */
  optional(expression: string): string {
    return this.add({ kind: 'optional', expression });
  }

  /** List items written as template lines (each item line starts with `- `, relative to the list). */
  items(lines: readonly string[]): string {
    return this.add({ kind: 'items', lines });
  }

  /** The items of a list value, appended where the marker item is. */
  spliceList(expression: string): string {
    return this.add({ kind: 'spliceList', expression });
  }

  /** Sets JSON pointers of an object to markers (JSON patch `add`; `/-` appends to a list). */
  bind(obj: ApiObject, pointers: Readonly<Record<string, string>>): void {
    for (const [path, marker] of Object.entries(pointers)) this.patch(obj, JsonPatch.add(path, marker));
  }

  /**
   * Patches applied to the object's final JSON. Not `addJsonPatch`: the typed
   * k8s classes convert their JSON again after those patches, which drops
   * unknown keys and maps over lists a marker stands in for.
   */
  private patch(obj: ApiObject, op: JsonPatch): void {
    let ops = this.patches.get(obj);
    if (ops === undefined) {
      const list: JsonPatch[] = [];
      ops = list;
      this.patches.set(obj, list);
      const toJson = obj.toJson.bind(obj);
      obj.toJson = (): unknown => JsonPatch.apply(toJson(), ...list) as unknown;
    }
    ops.push(op);
  }

  /** The entries of a map value, added to the mapping at `path` (which must exist). */
  spliceMap(obj: ApiObject, path: string, expression: string): void {
    this.bindKey(obj, path, { kind: 'spliceMap', expression });
  }

  /** The node at `path` (`''`: the whole object) only when `condition` holds. */
  when(obj: ApiObject, condition: string, path = ''): void {
    this.bindKey(obj, path, { kind: 'wrap', open: [`{{- if ${condition} }}`], close: ['{{- end }}'] });
  }

  /** The object once per item of `list`, each a document of its own, with `variable` bound to the item. */
  each(obj: ApiObject, variable: string, list: string): void {
    this.bindKey(obj, '', { kind: 'wrap', open: [`{{- range ${variable} := ${list} }}`, '---'], close: ['{{- end }}'] });
  }

  /** The mapping at `path` replaced by the value of `expression` when it is not empty. */
  override(obj: ApiObject, path: string, expression: string): void {
    this.bindKey(obj, path, { kind: 'override', expression });
  }

  private bindKey(obj: ApiObject, path: string, e: Expansion): void {
    this.patch(obj, JsonPatch.add(`${path}/${this.add(e)}`, ''));
  }

  /** The synthesized YAML with every marker turned into template text; throws on a marker it cannot place. */
  render(yaml: string): string {
    const lines = yaml.split('\n');
    // Marker keys first (they need the node around them as cdk8s wrote it), innermost last-written first.
    for (;;) {
      const at = lines.findIndex((l) => /^\s*zz-helm-\d+: ""$/.test(l));
      if (at < 0) break;
      this.renderKey(lines, at);
    }
    const out: string[] = [];
    for (const line of lines) out.push(...this.renderLine(line));
    const text = out.join('\n');
    const left = /zz-helm-\d+/.exec(text);
    if (left !== null) throw new Error(`helm placeholders: ${left[0]} was not placed`);
    return text;
  }

  private expansion(id: string | undefined): Expansion {
    const e = this.expansions[Number(id)];
    if (e === undefined) throw new Error(`helm placeholders: no zz-helm-${id}`);
    return e;
  }

  private renderKey(lines: string[], at: number): void {
    const line = lines[at] ?? '';
    const indent = indentOf(line);
    const e = this.expansion(/zz-helm-(\d+)/.exec(line)?.[1]);
    lines.splice(at, 1);
    if (e.kind === 'spliceMap') {
      lines.splice(at, 0, ...block(indent, [`{{- with ${e.expression} }}`, `{{- toYaml . | nindent ${indent} }}`, '{{- end }}']));
      return;
    }
    const { start, end } = indent === 0 ? enclosingDocument(lines, at) : enclosingNode(lines, at, indent);
    const nodeIndent = indentOf(lines[start] ?? '');
    if (e.kind === 'wrap') {
      lines.splice(end, 0, ...block(nodeIndent, e.close));
      lines.splice(start, 0, ...block(nodeIndent, e.open));
      return;
    }
    if (e.kind !== 'override') throw new Error(`helm placeholders: zz-helm marker of kind ${e.kind} used as a key`);
    const key = /^\s*([^\s:-][^:]*):$/.exec(lines[start] ?? '')?.[1];
    if (key === undefined) throw new Error(`helm placeholders: override needs a "key:" node, found ${JSON.stringify(lines[start])}`);
    lines.splice(end, 0, pad(nodeIndent, '{{- end }}'));
    lines.splice(start, 0, ...block(nodeIndent, [`{{- with ${e.expression} }}`, `${key}:`, `{{- toYaml . | nindent ${nodeIndent + 2} }}`, '{{- else }}']));
  }

  private renderLine(line: string): string[] {
    const ids = [...line.matchAll(MARKER)].map((m) => m[1]);
    const expansions = ids.map((id) => this.expansion(id));
    const structural = expansions.filter((e) => e.kind !== 'expr');
    if (structural.length === 0) {
      return [line.replace(MARKER, (_, id: string) => `{{ ${(this.expansion(id) as { expression: string }).expression} }}`)];
    }
    const [e] = structural;
    if (ids.length > 1 || e === undefined) throw new Error(`helm placeholders: one structural marker per line: ${line}`);
    const rendered = structuralLine(e, line);
    if (rendered === undefined) throw new Error(`helm placeholders: a ${e.kind} marker cannot stand here: ${line}`);
    return rendered;
  }
}

/** A `key: M` or `- M` line with a structural marker as template lines; undefined when the marker cannot stand there. */
function structuralLine(e: Expansion, line: string): string[] | undefined {
  const keyed = /^(\s*)([^\s:-][^:]*): zz-helm-\d+$/.exec(line);
  const item = /^(\s*)- zz-helm-\d+$/.exec(line);
  if (keyed !== null) {
    const [, space = '', key = ''] = keyed;
    const indent = space.length;
    if (e.kind === 'yaml') return [`${space}${key}:`, pad(indent, `{{- toYaml ${e.expression} | nindent ${indent + 2} }}`)];
    if (e.kind === 'optional') return [pad(indent, `{{- with ${e.expression} }}`), `${space}${key}:`, ...block(indent, [`{{- toYaml . | nindent ${indent + 2} }}`, '{{- end }}'])];
  }
  if (item !== null) {
    const indent = item[1]?.length ?? 0;
    if (e.kind === 'items') return block(indent, e.lines);
    if (e.kind === 'spliceList') return block(indent, [`{{- with ${e.expression} }}`, `{{- toYaml . | nindent ${indent} }}`, '{{- end }}']);
  }
  return undefined;
}

/** Lines [start, end) of the document holding line `at` (documents are separated by `---` lines). */
function enclosingDocument(lines: readonly string[], at: number): { start: number; end: number } {
  let start = at;
  while (start > 0 && lines[start - 1] !== '---') start--;
  let end = at;
  while (end < lines.length && lines[end] !== '---' && lines[end] !== '') end++;
  return { start, end };
}

const isTemplate = (line: string | undefined): boolean => (line ?? '').trim().startsWith('{{');
const indentAt = (lines: readonly string[], i: number): number => indentOf(lines[i] ?? '');

/** Lines [start, end) of the node around line `at` (indented by `indent`): from the nearest less indented line, through its children. */
function enclosingNode(lines: readonly string[], at: number, indent: number): { start: number; end: number } {
  let start = at - 1;
  while (start >= 0 && (indentAt(lines, start) >= indent || isTemplate(lines[start]))) start--;
  if (start < 0) throw new Error(`helm placeholders: no node around line ${at}`);
  const parentIndent = indentAt(lines, start);
  let end = start + 1;
  while (end < lines.length && lines[end] !== '' && (indentAt(lines, end) > parentIndent || isTemplate(lines[end]))) end++;
  return { start, end };
}

function block(indent: number, texts: readonly string[]): string[] {
  return texts.map((t) => pad(indent, t));
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function pad(indent: number, text: string): string {
  return ' '.repeat(indent) + text;
}
