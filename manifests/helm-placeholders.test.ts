import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiObject, App, Chart, Yaml } from 'cdk8s';
import { HelmPlaceholders } from './helm-placeholders';

/** One object synthesized by cdk8s, its placeholders set by `bind`, rendered. */
function rendered(props: Record<string, unknown>, bind: (h: HelmPlaceholders, o: ApiObject) => void): string {
  const h = new HelmPlaceholders();
  const chart = new Chart(new App(), 'c');
  const o = new ApiObject(chart, 'o', { apiVersion: 'v1', kind: 'Thing', metadata: { name: 'thing' }, ...props });
  bind(h, o);
  return h.render(Yaml.stringify(...(chart.toJson() as unknown[])));
}

describe('helm placeholders', () => {
  it('expr: in place, also inside a longer string; yaml and optional under their key', () => {
    const text = rendered({ spec: { a: 'x', b: 'y', c: 'z' } }, (h, o) => {
      const name = h.expr('include "n" $');
      h.bind(o, { '/metadata/name': `${name}-suffix`, '/spec/a': h.expr('$.Values.a'), '/spec/b': h.yaml('$.Values.b'), '/spec/c': h.optional('$.Values.c') });
    });
    assert.equal(
      text,
      [
        'apiVersion: v1',
        'kind: Thing',
        'metadata:',
        '  name: {{ include "n" $ }}-suffix',
        'spec:',
        '  a: {{ $.Values.a }}',
        '  b:',
        '  {{- toYaml $.Values.b | nindent 4 }}',
        '  {{- with $.Values.c }}',
        '  c:',
        '  {{- toYaml . | nindent 4 }}',
        '  {{- end }}',
        '',
      ].join('\n'),
    );
  });

  it('items and spliceList replace a list item; spliceMap adds entries; when, each and override wrap their node', () => {
    const text = rendered({ spec: { list: ['a'], labels: { k: 'v' }, affinity: { x: 1 } } }, (h, o) => {
      h.bind(o, { '/spec/list/-': h.items(['{{- if $.Values.on }}', '- b', '{{- end }}']) });
      h.bind(o, { '/spec/list/-': h.spliceList('$.Values.more') });
      h.spliceMap(o, '/spec/labels', '$.Values.labels');
      h.override(o, '/spec/affinity', '$.Values.affinity');
      h.when(o, '$.Values.create');
      h.each(o, '$ns', '$.Values.namespaces');
    });
    assert.equal(
      text,
      [
        '{{- range $ns := $.Values.namespaces }}',
        '---',
        '{{- if $.Values.create }}',
        'apiVersion: v1',
        'kind: Thing',
        'metadata:',
        '  name: thing',
        'spec:',
        '  {{- with $.Values.affinity }}',
        '  affinity:',
        '  {{- toYaml . | nindent 4 }}',
        '  {{- else }}',
        '  affinity:',
        '    x: 1',
        '  {{- end }}',
        '  labels:',
        '    k: v',
        '    {{- with $.Values.labels }}',
        '    {{- toYaml . | nindent 4 }}',
        '    {{- end }}',
        '  list:',
        '    - a',
        '    {{- if $.Values.on }}',
        '    - b',
        '    {{- end }}',
        '    {{- with $.Values.more }}',
        '    {{- toYaml . | nindent 4 }}',
        '    {{- end }}',
        '{{- end }}',
        '{{- end }}',
        '',
      ].join('\n'),
    );
  });

  it('refuses a marker it cannot place', () => {
    assert.throws(() => rendered({ spec: { list: ['a'] } }, (h, o) => h.bind(o, { '/spec/list/-': h.yaml('$.Values.x') })), /a yaml marker cannot stand here/);
    assert.throws(() => rendered({ spec: { a: 'x' } }, (h, o) => h.bind(o, { '/spec/a': h.items(['- b']) })), /an? items marker cannot stand here/);
    assert.throws(() => new HelmPlaceholders().render('a: zz-helm-0\n'), /no zz-helm-0/);
  });
});
