import { readFileSync, writeFileSync } from 'node:fs';
import {
  Backend,
  Endpoint,
  GatewaySchema,
  type KeySupport,
  KRAKEND_KEYS,
  KRAKEND_NAMESPACES_SUPPORT,
  NAMESPACE_ALIASES,
  NAMESPACES,
  type NamespaceSupport,
  validateGatewayConfig,
} from '@switchyard/config';
import { describe, expect, it } from 'vitest';

// docs/krakend-compatibility.md is rendered from the table the loader reads (KRAKEND_KEYS,
// KRAKEND_NAMESPACES_SUPPORT), and the table is checked against the schemas and the loader's behaviour, so
// neither the document nor the table can drift. `UPDATE_DOCS=1 npx vitest run --project config
// krakend-compatibility` rewrites the generated part of the document.

const docUrl = new URL('../../../docs/krakend-compatibility.md', import.meta.url);
const START = '<!-- generated from packages/config/src/gateway/compatibility.ts: do not edit by hand -->';
const END = '<!-- end of generated part -->';

const SUPPORT_TEXT = { same: 'same', partial: 'partial', 'not-yet': 'not yet' } as const;
const cell = (s: KeySupport) => `${SUPPORT_TEXT[s.support]}${s.note ? ` — ${s.note}` : ''}`;

function render(): string {
  const out: string[] = [];
  for (const level of ['root', 'endpoint', 'backend'] as const) {
    out.push(`### ${level[0]?.toUpperCase()}${level.slice(1)} keys`, '', '| key | status |', '| --- | --- |');
    for (const [key, s] of Object.entries(KRAKEND_KEYS[level])) out.push(`| \`${key}\` | ${cell(s)} |`);
    out.push('');
  }
  const without = (s: NamespaceSupport) => {
    if (s.support !== 'not-yet') return '';
    if (s.without !== 'unserved') return 'ignored, with a warning';
    return `${s.levels.includes('root') ? 'ignored at the root; ' : ''}an endpoint using it answers 500`;
  };
  const editions: [NamespaceSupport['edition'], string][] = [
    ['ce', 'KrakenD CE namespaces'],
    ['switchyard', 'Switchyard namespaces'],
    ['ee', 'KrakenD Enterprise namespaces (met in shared files)'],
  ];
  for (const [edition, title] of editions) {
    out.push(
      `### ${title}`,
      '',
      '| namespace | level | status | where Switchyard lacks it |',
      '| --- | --- | --- | --- |',
    );
    for (const [name, s] of Object.entries(KRAKEND_NAMESPACES_SUPPORT).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      if (s.edition !== edition) continue;
      out.push(`| \`${name}\` | ${s.levels.join(', ')} | ${cell(s)} | ${without(s)} |`);
    }
    out.push('');
  }
  out.push('### Old namespace names read as the new ones', '', '| old name | read as |', '| --- | --- |');
  for (const [old, name] of Object.entries(NAMESPACE_ALIASES)) out.push(`| \`${old}\` | \`${name}\` |`);
  return out.join('\n');
}

describe('docs/krakend-compatibility.md', () => {
  it('holds the table the loader reads, rendered', () => {
    const doc = readFileSync(docUrl, 'utf8');
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start, 'the generated part is missing').toBeGreaterThan(-1);
    const generated = `${START}\n\n${render()}\n\n`;
    if (process.env.UPDATE_DOCS === '1') {
      writeFileSync(docUrl, doc.slice(0, start) + generated + doc.slice(end));
      return;
    }
    expect(
      doc.slice(start, end),
      'run UPDATE_DOCS=1 npx vitest run --project config krakend-compatibility',
    ).toBe(generated);
  });
});

describe('the compatibility table agrees with the code', () => {
  const schemas = { root: GatewaySchema, endpoint: Endpoint, backend: Backend };

  it.each(Object.entries(schemas))(
    '%s: every key the schema knows is same or partial, every other one not yet',
    (level, schema) => {
      const table = KRAKEND_KEYS[level as keyof typeof KRAKEND_KEYS];
      const inSchema = Object.keys(schema.properties);
      for (const key of inSchema) expect(table[key]?.support, `${level} ${key}`).toMatch(/^(same|partial)$/);
      for (const [key, s] of Object.entries(table))
        if (!inSchema.includes(key)) expect(s.support, `${level} ${key}`).toBe('not-yet');
    },
  );

  it('every implemented namespace is same or partial at the levels it is implemented at, the others not yet', () => {
    for (const [name, s] of Object.entries(KRAKEND_NAMESPACES_SUPPORT)) {
      const implemented = NAMESPACES[name];
      if (implemented) {
        expect(s.support, name).not.toBe('not-yet');
        expect(s.levels, name).toEqual(implemented.levels);
      } else expect(s.support, name).toBe('not-yet');
    }
    for (const name of Object.keys(NAMESPACES)) expect(KRAKEND_NAMESPACES_SUPPORT[name], name).toBeDefined();
    for (const name of Object.values(NAMESPACE_ALIASES))
      expect(KRAKEND_NAMESPACES_SUPPORT[name], name).toBeDefined();
  });

  const host = ['http://127.0.0.1:8000'];
  it.each(
    (['root', 'endpoint', 'backend'] as const).flatMap((level) =>
      Object.entries(KRAKEND_KEYS[level])
        .filter(([, s]) => s.support === 'not-yet')
        .map(([key]) => [level, key] as const),
    ),
  )('%s key %s: loads with a "not implemented" warning', (level, key) => {
    const backend: Record<string, unknown> = { url_pattern: '/a' };
    const endpoint: Record<string, unknown> = { endpoint: '/a', backend: [backend] };
    const root: Record<string, unknown> = { version: 3, host, endpoints: [endpoint] };
    ({ root, endpoint, backend })[level][key] = {};
    const { warnings } = validateGatewayConfig(root);
    expect(warnings.map((w) => w.message)).toContain(`"${key}" is not implemented by Switchyard; ignored`);
  });

  it.each(
    Object.entries(KRAKEND_NAMESPACES_SUPPORT)
      .filter(([, s]) => s.support === 'not-yet')
      .flatMap(([name, s]) => s.levels.map((level) => [name, level, s.without] as const)),
  )(
    'namespace %s at the %s level: warned; the endpoint is unserved only where the table says so',
    (name, level, without) => {
      const backend: Record<string, unknown> = { url_pattern: '/a' };
      const endpoint: Record<string, unknown> = { endpoint: '/a', backend: [backend] };
      const root: Record<string, unknown> = { version: 3, host, endpoints: [endpoint] };
      ({ root, endpoint, backend })[level].extra_config = { [name]: {} };
      const { warnings, config } = validateGatewayConfig(root);
      expect(warnings.map((w) => w.message)).toContain(
        `namespace ${JSON.stringify(name)} is not implemented by Switchyard; ignored`,
      );
      const unserved = level !== 'root' && without === 'unserved';
      expect(config.endpoints?.[0]?.unserved).toBe(
        unserved ? `namespace ${JSON.stringify(name)} is not implemented by Switchyard` : undefined,
      );
    },
  );
});
