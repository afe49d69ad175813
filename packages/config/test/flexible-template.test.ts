import { describe, expect, it } from 'vitest';
import type { Node } from '../src/flexible/ast.js';
import { TemplateError } from '../src/flexible/error.js';
import { execute } from '../src/flexible/exec.js';
import { BUILTINS, sprigFunctions } from '../src/flexible/functions.js';
import { parseTemplate } from '../src/flexible/parse.js';
import { goJson } from '../src/flexible/values.js';

/** Renders `text` as the template `t.tmpl`, with extra templates, as the FC renderer does. */
function render(
  text: string,
  data: unknown = {},
  extra: Record<string, string> = {},
  env: NodeJS.ProcessEnv = {},
) {
  const templates = new Map<string, Node[]>();
  parseTemplate('t.tmpl', text, templates);
  for (const [name, body] of Object.entries(extra)) parseTemplate(name, body, templates);
  return execute('t.tmpl', data, {
    templates,
    functions: { ...sprigFunctions(env), ...BUILTINS, marshal: (v) => goJson(v) },
  });
}

function failure(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

describe('Go text/template subset', () => {
  it('a field of a missing key is missing too, as in Go: <no value>, false in if', () => {
    expect(
      render('{{ .a.b.c }}|{{ if .a.b }}y{{ else }}n{{ end }}|{{ with .x.y }}y{{ else }}n{{ end }}', {}),
    ).toBe('<no value>|n|n');
  });

  it('prints fields, nested fields and the dot; a missing key prints <no value>', () => {
    expect(render('{{ .a }}-{{ .b.c }}-{{ .zz }}', { a: 'x', b: { c: 8080 } })).toBe('x-8080-<no value>');
    expect(render('{{ . }}', 'plain')).toBe('plain');
  });

  it('prints numbers as Go prints float64 and int', () => {
    expect(
      render('{{ .n }} {{ .f }} {{ .big }} {{ 1000000 }} {{ .small }}', {
        n: 3,
        f: 1.5,
        big: 1e6,
        small: 1e-5,
      }),
    ).toBe('3 1.5 1e+06 1000000 1e-05');
  });

  it('trims white space with {{- and -}}, and drops comments', () => {
    expect(render('a  \n {{- .x -}} \n  b{{/* gone */}}c{{- /* trimmed */ -}}  d', { x: 1 })).toBe('a1bcd');
  });

  it('if / else if / else', () => {
    const t = '{{ if eq .env "prod" }}P{{ else if eq .env "dev" }}D{{ else }}O{{ end }}';
    expect([render(t, { env: 'prod' }), render(t, { env: 'dev' }), render(t, { env: 'x' })]).toEqual([
      'P',
      'D',
      'O',
    ]);
    expect(
      render('{{ if .list }}y{{ else }}n{{ end }}{{ if .empty }}y{{ else }}n{{ end }}', {
        list: [1],
        empty: [],
      }),
    ).toBe('yn');
  });

  it('range over lists (with $i, $e), maps in key order, integers; else when empty; break and continue', () => {
    expect(render('{{ range .l }}[{{ . }}]{{ end }}', { l: ['a', 'b'] })).toBe('[a][b]');
    expect(render('{{ range $i, $e := .l }}{{ $i }}={{ $e }};{{ end }}', { l: ['a', 'b'] })).toBe('0=a;1=b;');
    expect(render('{{ range $k, $v := .m }}{{ $k }}:{{ $v }},{{ end }}', { m: { b: 2, a: 1 } })).toBe(
      'a:1,b:2,',
    );
    expect(render('{{ range 3 }}{{ . }}{{ end }}')).toBe('012');
    expect(render('{{ range .l }}x{{ else }}none{{ end }}', { l: [] })).toBe('none');
    expect(
      render(
        '{{ range .l }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}',
        { l: [1, 2, 3, 4, 5] },
      ),
    ).toBe('13');
  });

  it('range puts a comma between elements with the $i trick KrakenD examples use', () => {
    const t = '[{{ range $i, $e := .l }}{{ if $i }},{{ end }}"{{ $e }}"{{ end }}]';
    expect(render(t, { l: ['a', 'b', 'c'] })).toBe('["a","b","c"]');
  });

  it('with / else sets the dot', () => {
    expect(render('{{ with .a }}{{ .b }}{{ else }}none{{ end }}', { a: { b: 'in' } })).toBe('in');
    expect(render('{{ with .missing }}{{ .b }}{{ else }}none{{ end }}', {})).toBe('none');
  });

  it('variables: declare, assign, scope ends with the block; $ is the root', () => {
    expect(render('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}', {})).toBe('2');
    expect(render('{{ range .l }}{{ $.name }}{{ end }}', { l: [1, 2], name: 'n' })).toBe('nn');
    expect(failure(() => render('{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}')).message).toMatch(
      /undefined variable: \$y/,
    );
  });

  it('pipelines pass the value as the last argument; parentheses group', () => {
    expect(render('{{ .s | upper | printf "%s!" }}', { s: 'hi' })).toBe('HI!');
    expect(render('{{ (index .l 1).name }}', { l: [{ name: 'a' }, { name: 'b' }] })).toBe('b');
    expect(render('{{ add (len .l) 1 }}', { l: [1, 2] })).toBe('3');
  });

  it('define and template, with a sub-template from FC_TEMPLATES named by its file', () => {
    expect(render('{{ define "x" }}<{{ . }}>{{ end }}{{ template "x" .v }}', { v: 1 })).toBe('<1>');
    expect(
      render(
        '{{ template "endpoint.tmpl" .e }}',
        { e: { path: '/a' } },
        { 'endpoint.tmpl': '"{{ .path }}"' },
      ),
    ).toBe('"/a"');
    expect(render('{{ block "b" . }}default {{ .x }}{{ end }}', { x: 1 })).toBe('default 1');
  });

  it('and / or return the deciding operand and stop early; not, comparisons', () => {
    expect(render('{{ and 1 0 (fail "not evaluated") }}|{{ or 0 "" "x" }}|{{ not .t }}', { t: true })).toBe(
      '0|x|false',
    );
    expect(render('{{ lt 1 2 }} {{ ge .n 3 }} {{ ne "a" "b" }} {{ eq .n 1 2 3 }}', { n: 3 })).toBe(
      'true true true true',
    );
  });

  it('marshal and toJson write Go JSON: sorted keys, no spaces, HTML characters escaped', () => {
    expect(render('{{ marshal .v }}', { v: { b: [1, 'x'], a: '<&>' } })).toBe(
      '{"a":"\\u003c\\u0026\\u003e","b":[1,"x"]}',
    );
    expect(render('{{ toJson .v }}', { v: [true, null] })).toBe('[true,null]');
  });

  it('env and the sprig helpers', () => {
    const env = { HOST: 'api.example' };
    expect(render('{{ env "HOST" }}|{{ env "NOPE" | default "dflt" }}', {}, {}, env)).toBe(
      'api.example|dflt',
    );
    expect(
      render(
        '{{ list 1 2 | join "," }}|{{ dict "a" 1 | keys }}|{{ hasKey .m "a" }}|{{ .s | trimPrefix "/" | quote }}',
        { m: { a: 1 }, s: '/x' },
      ),
    ).toBe('1,2|[a]|true|"x"');
    expect(
      render(
        '{{ ternary "y" "n" true }}|{{ first .l }}|{{ last .l }}|{{ splitList "," "a,b" }}|{{ sub 5 2 }}|{{ mul 2 3 }}|{{ replace "a" "b" "aa" }}',
        { l: [1, 2] },
      ),
    ).toBe('y|1|2|[a b]|3|6|bb');
  });

  it('a parse error names the file, line, column and what is wrong', () => {
    const err = failure(() => render('{\n  "a": {{ .x }\n}'));
    expect(err.message).toBe('template: t.tmpl:2:14: unexpected "}" in action');
    expect(failure(() => render('{{ if .x }}open')).message).toMatch(
      /t\.tmpl:\d+:\d+: unexpected EOF: \{\{if\}\} has no \{\{end\}\}/,
    );
    expect(failure(() => render('{{ end }}')).message).toMatch(/unexpected \{\{end\}\}/);
  });

  it('an execution error names the file, line and the failing expression', () => {
    const err = failure(() => render('{\n  "port": {{ .service.port }}\n}', { service: null }));
    expect(err.message).toBe(
      'template: t.tmpl:2:14: executing at <.service.port>: nil pointer evaluating interface {}.port',
    );
    expect(failure(() => render('{{ .s.x }}', { s: 'text' })).message).toMatch(
      /can't evaluate field x in type string/,
    );
    expect(failure(() => render('{{ nosuch 1 }}')).message).toMatch(/function "nosuch" not defined/);
    expect(failure(() => render('{{ template "missing" }}')).message).toMatch(/no such template "missing"/);
  });

  it('bounds work: recursion depth and output size', () => {
    expect(
      failure(() => render('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}')).message,
    ).toMatch(/maximum template depth/);
    const templates = new Map<string, Node[]>();
    parseTemplate('t', '{{ range 100 }}xxxxxxxxxx{{ end }}', templates);
    expect(() => execute('t', {}, { templates, functions: BUILTINS, maxOutput: 100 })).toThrow(
      /output larger than 100/,
    );
  });

  it('bounds work that prints nothing: nested ranges stop at the step budget, until/repeat at their caps', () => {
    const error = failure(() => render('{{ range 5000 }}{{ range 5000 }}{{ end }}{{ end }}'));
    expect(error.message).toMatch(/more than 10000000 steps/);
    const templates = new Map<string, Node[]>();
    parseTemplate('t', '{{ range 100 }}{{ range 100 }}{{ end }}{{ end }}', templates);
    expect(() => execute('t', {}, { templates, functions: BUILTINS, maxSteps: 1000 })).toThrow(
      /more than 1000 steps/,
    );
    expect(failure(() => render('{{ until 1000000000 }}')).message).toMatch(
      /error calling until: more than 1000000 elements/,
    );
    expect(failure(() => render('{{ repeat 1000000000 "abc" }}')).message).toMatch(
      /error calling repeat: result longer than/,
    );
  });
});
