import { chmod, cp, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGatewayConfig, readGatewaySource, renderFlexibleConfig } from '@switchyard/config';
import { isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const tree = fileURLToPath(new URL('./fixtures/flexible/', import.meta.url));
const expected = async (name: string) =>
  JSON.parse(await readFile(join(tree, 'expected', name), 'utf8')) as unknown;
const fcEnv = (env: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  FC_ENABLE: '1',
  FC_SETTINGS: join(tree, 'config/settings', env),
  FC_PARTIALS: join(tree, 'config/partials'),
  FC_TEMPLATES: join(tree, 'config/templates'),
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    if (isSwitchyardError(err)) return err;
    throw err;
  }
  throw new Error('expected a SwitchyardError');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-fc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Flexible Configuration', () => {
  it('renders the tree per environment (settings, partials, sub-templates, range/if/with/include/marshal)', async () => {
    const prod = await readGatewaySource(
      join(tree, 'krakend.tmpl'),
      fcEnv('prod', { DEPLOY_ENV: 'production' }),
    );
    expect(JSON.parse(prod.text)).toEqual(await expected('prod.json'));
    const dev = await readGatewaySource(join(tree, 'krakend.tmpl'), fcEnv('dev'));
    expect(JSON.parse(dev.text)).toEqual(await expected('dev.json'));
  });

  it('lists every file the config came from, for hot reload', async () => {
    const prod = await readGatewaySource(join(tree, 'krakend.tmpl'), fcEnv('prod'));
    const abs = (p: string) => resolve(tree, p);
    expect([...prod.sources].sort()).toEqual(
      [
        'krakend.tmpl',
        'config/settings/prod/service.json',
        'config/settings/prod/endpoints.json',
        'config/templates/endpoint.tmpl',
        'config/partials/cors.tmpl',
        'config/partials/circuit_breaker.tmpl',
      ]
        .map(abs)
        .sort(),
    );
  });

  it('loads and validates the rendered file, and writes FC_OUT (0600) in the format its extension says', async () => {
    const out = join(dir, 'out', 'krakend.json');
    const loaded = await loadGatewayConfig(join(tree, 'krakend.tmpl'), {
      env: fcEnv('prod', { FC_OUT: out, DEPLOY_ENV: 'production' }),
    });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.config.port).toBe(8080);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(await expected('prod.json'));
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    // An FC_OUT that already exists readable by others (from an earlier run) is made private too.
    await writeFile(out, '{}', { mode: 0o644 });
    await chmod(out, 0o644);
    await loadGatewayConfig(join(tree, 'krakend.tmpl'), {
      env: fcEnv('prod', { FC_OUT: out, DEPLOY_ENV: 'production' }),
    });
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    // The same output again is not rewritten (hot reload would see the write).
    const past = new Date('2020-01-01T00:00:00Z');
    await utimes(out, past, past);
    await loadGatewayConfig(join(tree, 'krakend.tmpl'), {
      env: fcEnv('prod', { FC_OUT: out, DEPLOY_ENV: 'production' }),
    });
    expect((await stat(out)).mtimeMs).toBe(past.getTime());

    // A YAML template rendered to FC_OUT=….yaml is parsed as YAML.
    const yamlTmpl = join(dir, 'krakend.yaml.tmpl');
    await writeFile(yamlTmpl, 'version: 3\nport: {{ .service.port }}\nendpoints: []\n');
    const yaml = await loadGatewayConfig(yamlTmpl, { env: fcEnv('dev', { FC_OUT: join(dir, 'r.yaml') }) });
    expect(yaml.config.port).toBe(9090);
  });

  it('is off unless FC_ENABLE is set; any value enables it, as in KrakenD', async () => {
    const err = await failure(loadGatewayConfig(join(tree, 'krakend.tmpl'), { env: {} }));
    expect(err.code).toBe('SWY_CONFIG_PARSE');
    expect(err.message).toMatch(
      /krakend\.tmpl:4:41: invalid JSON: .*; it looks like a Flexible Configuration template: set FC_ENABLE=1 to render it$/,
    );
    const zero = await readGatewaySource(join(tree, 'krakend.tmpl'), fcEnv('dev', { FC_ENABLE: '0' }));
    expect(JSON.parse(zero.text)).toEqual(await expected('dev.json'));
  });

  it('a render error names the template file, its line and the failing expression', async () => {
    const templates = join(dir, 'templates');
    await cp(join(tree, 'config/templates'), templates, { recursive: true });
    await writeFile(
      join(templates, 'endpoint.tmpl'),
      '{\n  "endpoint": "{{ .path }}",\n  "x": {{ .path.deep }}\n}\n',
    );
    const err = await failure(
      renderFlexibleConfig(join(tree, 'krakend.tmpl'), { ...fc('prod'), templates }, { DEPLOY_ENV: 'x' }),
    );
    expect(err.code).toBe('SWY_CONFIG_TEMPLATE');
    expect(err.message).toBe(
      `template: ${join(templates, 'endpoint.tmpl')}:3:11: executing at <.path.deep>: can't evaluate field deep in type string`,
    );
  });

  it('a missing partial, a broken settings file and a syntax error are clear errors', async () => {
    const main = join(dir, 'main.tmpl');
    await writeFile(main, '{ {{ include "nope.tmpl" }} }');
    const missing = await failure(renderFlexibleConfig(main, fc('prod'), {}));
    expect(missing.message).toMatch(
      /main\.tmpl:1:6: executing at <include "nope\.tmpl">: error calling include: include "nope\.tmpl": cannot read .*nope\.tmpl: ENOENT/,
    );

    const settings = join(dir, 'settings');
    await cp(join(tree, 'config/settings/prod'), settings, { recursive: true });
    await writeFile(join(settings, 'broken.json'), '{\n  "a": 1,\n}\n');
    const broken = await failure(
      renderFlexibleConfig(join(tree, 'krakend.tmpl'), { ...fc('prod'), settings }, {}),
    );
    expect(broken.code).toBe('SWY_CONFIG_PARSE');
    expect(broken.message).toMatch(/broken\.json:3:1: invalid JSON/);

    await writeFile(main, '{\n  "port": {{ .service.port \n}');
    const syntax = await failure(renderFlexibleConfig(main, fc('prod'), {}));
    expect(syntax.code).toBe('SWY_CONFIG_TEMPLATE');
    expect(syntax.message).toBe(`template: ${main}:3:1: unexpected "}" in action`);
  });
});

function fc(env: string) {
  return {
    settings: join(tree, 'config/settings', env),
    partials: join(tree, 'config/partials'),
    templates: join(tree, 'config/templates'),
  };
}
