import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EVENT_PROXY_ENV,
  eventProxySettingsFromEnv,
  loadEventProxySettings,
  validateEventProxySettings,
} from '@switchyard/config';
import { BEARER_TOKEN_TEXT, isSwitchyardError, type SwitchyardError } from '@switchyard/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The error `fn` throws (the test fails if it does not throw one). */
function errorOf(fn: () => unknown): SwitchyardError {
  try {
    fn();
  } catch (err) {
    if (isSwitchyardError(err)) return err;
    throw err;
  }
  throw new Error('expected a SwitchyardError, nothing was thrown');
}

async function rejectionOf(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    if (isSwitchyardError(err)) return err;
    throw err;
  }
  throw new Error('expected a SwitchyardError, the promise resolved');
}

const kafka = { TARGET_TYPE: 'kafka', TARGET_KAFKA_BROKERS: '127.0.0.1:9092', TARGET_KAFKA_TOPIC: 'events' };

describe('event proxy settings from environment variables', () => {
  it('rejects a bad TARGET_KAFKA_COMPRESSION with one line naming the variable', () => {
    const err = errorOf(() => eventProxySettingsFromEnv({ ...kafka, TARGET_KAFKA_COMPRESSION: 'lz5' }));
    expect(err.code).toBe('SWY_ENV_INVALID');
    expect(err.message).toBe(
      'TARGET_KAFKA_COMPRESSION: expected one of none, gzip, snappy, lz4, zstd, got "lz5" (did you mean "lz4"?)',
    );
  });

  it('rejects a non-numeric TARGET_HTTP_TIMEOUT with one line naming the variable', () => {
    const err = errorOf(() =>
      eventProxySettingsFromEnv({
        TARGET_TYPE: 'http',
        TARGET_HTTP_URL: 'http://127.0.0.1:1',
        TARGET_HTTP_TIMEOUT: 'soon',
      }),
    );
    expect(err.code).toBe('SWY_ENV_INVALID');
    expect(err.message).toBe(
      'TARGET_HTTP_TIMEOUT: expected a duration such as 5s or 500ms, or a number of seconds, got "soon"',
    );
  });

  it('names TARGET_KAFKA_BROKERS when TARGET_TYPE=kafka and it is missing', () => {
    const err = errorOf(() =>
      eventProxySettingsFromEnv({ TARGET_TYPE: 'kafka', TARGET_KAFKA_TOPIC: 'events' }),
    );
    expect(err.code).toBe('SWY_ENV_MISSING');
    expect(err.message).toBe(
      'TARGET_KAFKA_BROKERS is required when TARGET_TYPE=kafka (a comma-separated host:port list)',
    );
    expect(err.message).not.toContain('\n');
  });

  it('treats a variable that is set but empty as unset', () => {
    const err = errorOf(() => eventProxySettingsFromEnv({ ...kafka, TARGET_KAFKA_BROKERS: '  ' }));
    expect(err.code).toBe('SWY_ENV_MISSING');
    expect(err.message).toContain('TARGET_KAFKA_BROKERS is required');
    expect(
      eventProxySettingsFromEnv({ ...kafka, TARGET_KAFKA_COMPRESSION: '' }).target.kafka?.compression,
    ).toBe('none');
  });

  it('requires TARGET_TYPE', () => {
    const err = errorOf(() => eventProxySettingsFromEnv({}));
    expect(err.code).toBe('SWY_ENV_MISSING');
    expect(err.message).toBe('TARGET_TYPE is required (one of kafka, http, file, rabbitmq)');
  });

  it('suggests the near miss for a misspelt TARGET_TYPE', () => {
    const err = errorOf(() => eventProxySettingsFromEnv({ TARGET_TYPE: 'kafak' }));
    expect(err.message).toBe(
      'TARGET_TYPE: expected one of kafka, http, file, rabbitmq, got "kafak" (did you mean "kafka"?)',
    );
  });

  it('rejects unknown event type names in EVENT_FILTER_TYPES', () => {
    const err = errorOf(() =>
      eventProxySettingsFromEnv({ ...kafka, EVENT_FILTER_TYPES: 'request, reponse' }),
    );
    expect(err.code).toBe('SWY_ENV_INVALID');
    expect(err.message).toBe(
      'EVENT_FILTER_TYPES: unknown event type "reponse", expected a comma-separated list of request, response, plugin_updated, node_health (empty = all)',
    );
  });

  it('requires only the chosen target group and ignores the variables of other targets', () => {
    const s = eventProxySettingsFromEnv({
      TARGET_TYPE: 'file',
      TARGET_FILE_PATH: '-',
      TARGET_KAFKA_COMPRESSION: 'lz5',
    });
    expect(s.target).toEqual({
      type: 'file',
      file: { path: '-', fsync: 'batch', rotate_bytes: 0, rotate_keep: 5 },
    });
  });

  it('SASL OAUTHBEARER takes its token from a file or a command, exactly one', () => {
    const file = eventProxySettingsFromEnv({
      ...kafka,
      TARGET_KAFKA_SASL_MECHANISM: 'oauthbearer',
      TARGET_KAFKA_SASL_TOKEN_FILE: '/run/token',
    });
    expect(file.target.kafka?.sasl).toEqual({ mechanism: 'oauthbearer', token_file: '/run/token' });
    for (const extra of [{}, { TARGET_KAFKA_SASL_TOKEN_FILE: '/a', TARGET_KAFKA_SASL_TOKEN_COMMAND: 'b' }]) {
      const err = errorOf(() =>
        eventProxySettingsFromEnv({ ...kafka, TARGET_KAFKA_SASL_MECHANISM: 'oauthbearer', ...extra }),
      );
      expect(err.message).toContain(
        '/target/kafka/sasl: expected one of token_file and token_command (mechanism oauthbearer)',
      );
    }
  });

  it('names the group sibling that makes a variable required', () => {
    const err = errorOf(() =>
      eventProxySettingsFromEnv({
        ...kafka,
        TARGET_KAFKA_SASL_USERNAME: 'u',
        TARGET_KAFKA_SASL_PASSWORD: 'p',
      }),
    );
    expect(err.message).toBe(
      'TARGET_KAFKA_SASL_MECHANISM is required when TARGET_KAFKA_SASL_USERNAME is set (one of plain, scram-sha-256, scram-sha-512, oauthbearer)',
    );
    const kong = errorOf(() => eventProxySettingsFromEnv({ ...kafka, KONG_ADMIN_TIMEOUT: '3s' }));
    expect(kong.message).toBe(
      'KONG_ADMIN_URL is required when KONG_ADMIN_TIMEOUT is set (an http:// or https:// URL)',
    );
  });

  it('reports every problem on one line', () => {
    const err = errorOf(() =>
      eventProxySettingsFromEnv({
        TARGET_TYPE: 'kafka',
        TARGET_KAFKA_COMPRESSION: 'lz5',
        EVENT_BATCH_MAX_EVENTS: 'many',
      }),
    );
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toContain(
      'TARGET_KAFKA_COMPRESSION: expected one of none, gzip, snappy, lz4, zstd, got "lz5" (did you mean "lz4"?)',
    );
    expect(err.message).toContain('EVENT_BATCH_MAX_EVENTS: expected an integer ≥ 1, got "many"');
    expect(err.message).toContain('TARGET_KAFKA_BROKERS is required when TARGET_TYPE=kafka');
    expect(err.message).toContain('TARGET_KAFKA_TOPIC is required when TARGET_TYPE=kafka');
  });

  it('refuses a bearer token that could never match a header (a newline, \\r or space in it): one line naming the variable', () => {
    const file = { TARGET_TYPE: 'file', TARGET_FILE_PATH: '-' };
    for (const name of ['EVENT_PROXY_TOKEN', 'GATEWAY_ADMIN_TOKEN']) {
      const extra = name === 'GATEWAY_ADMIN_TOKEN' ? { GATEWAY_ADMIN_URL: 'http://127.0.0.1:8091' } : {};
      for (const token of ['s3cret\n', 's3cret\r', 'two words', ' s3cret', 's3cret=x']) {
        const err = errorOf(() => eventProxySettingsFromEnv({ ...file, ...extra, [name]: token }));
        expect(err.code).toBe('SWY_ENV_INVALID');
        expect(err.message).toBe(`${name}: expected ${BEARER_TOKEN_TEXT}, got (hidden)`);
        expect(err.message).not.toContain('s3cret');
      }
      const ok = eventProxySettingsFromEnv({ ...file, ...extra, [name]: 'aZ09-._~+/==' });
      expect(name === 'EVENT_PROXY_TOKEN' ? ok.ingest.token : ok.gateway?.token).toBe('aZ09-._~+/==');
    }
  });

  it('never echoes a secret in an error', () => {
    const err = errorOf(() =>
      eventProxySettingsFromEnv({
        ...kafka,
        TARGET_KAFKA_SASL_MECHANISM: 'scram',
        TARGET_KAFKA_SASL_USERNAME: 'u',
        TARGET_KAFKA_SASL_PASSWORD: 's3cret',
      }),
    );
    expect(err.message).toBe(
      'TARGET_KAFKA_SASL_MECHANISM: expected one of plain, scram-sha-256, scram-sha-512, oauthbearer, got "scram"',
    );
    expect(err.message).not.toContain('s3cret');
    const token = errorOf(() =>
      eventProxySettingsFromEnv({
        ...kafka,
        TARGET_KAFKA_SASL_MECHANISM: 'oauthbearer',
        TARGET_KAFKA_SASL_TOKEN_FILE: '/run/token',
        TARGET_KAFKA_SASL_TOKEN_COMMAND: 'fetch-token --secret s3cret',
      }),
    );
    expect(token.message).not.toContain('s3cret');
  });

  it('fills the defaults of DESIGN.md', () => {
    const s = eventProxySettingsFromEnv(kafka);
    expect(s.listen).toBe('127.0.0.1:8095');
    expect(s.log_level).toBe('info');
    expect(s.filter.types).toEqual([]);
    expect(s.target.kafka).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      topic: 'events',
      compression: 'none',
      retry_max: 3,
      acks: -1,
      idempotent: true,
    });
    expect(
      eventProxySettingsFromEnv({ ...kafka, TARGET_KAFKA_IDEMPOTENT: 'false' }).target.kafka?.idempotent,
    ).toBe(false);
    expect(s.kong).toBeUndefined();
    expect(s.spool).toMatchObject({ enabled: true, full_policy: 'block' });
    const k = eventProxySettingsFromEnv({ ...kafka, KONG_ADMIN_URL: 'http://127.0.0.1:8001' });
    expect(k.kong).toEqual({
      admin_url: 'http://127.0.0.1:8001',
      admin_timeout_ms: 5000,
      poll_interval_ms: 10_000,
    });
    const h = eventProxySettingsFromEnv({
      TARGET_TYPE: 'http',
      TARGET_HTTP_URL: 'https://sink.example/events',
    });
    expect(h.target.http).toMatchObject({ method: 'POST', timeout_ms: 5000, format: 'json', headers: {} });
  });

  it('parses durations, sizes, booleans, lists and headers', () => {
    const s = eventProxySettingsFromEnv({
      TARGET_TYPE: 'http',
      TARGET_HTTP_URL: 'http://127.0.0.1:9/in',
      TARGET_HTTP_METHOD: 'put',
      TARGET_HTTP_TIMEOUT: '2.5',
      TARGET_HTTP_HEADERS: 'Authorization=Bearer abc==;X-Tenant=a',
      EVENT_BATCH_LINGER: '250ms',
      EVENT_RETRY_MAX_DELAY: '1m30s',
      EVENT_SPOOL_MAX_BYTES: '512MiB',
      EVENT_SPOOL_ENABLED: 'false',
      EVENT_SPOOL_FULL_POLICY: 'drop_oldest',
      EVENT_FILTER_TYPES: 'request,node_health',
      LOG_LEVEL: 'DEBUG',
    });
    expect(s.target.http).toMatchObject({
      method: 'PUT',
      timeout_ms: 2500,
      headers: { Authorization: 'Bearer abc==', 'X-Tenant': 'a' },
    });
    expect(s.batch.linger_ms).toBe(250);
    expect(s.retry.max_ms).toBe(90_000);
    expect(s.spool).toMatchObject({ max_bytes: 512 * 1024 ** 2, enabled: false, full_policy: 'drop_oldest' });
    expect(s.filter.types).toEqual(['request', 'node_health']);
    expect(s.log_level).toBe('debug');
    const json = eventProxySettingsFromEnv({
      TARGET_TYPE: 'http',
      TARGET_HTTP_URL: 'http://127.0.0.1:9/in',
      TARGET_HTTP_HEADERS: '{"Content-Type":"application/json; charset=utf-8"}',
    });
    expect(json.target.http?.headers).toEqual({ 'Content-Type': 'application/json; charset=utf-8' });
    const bad = errorOf(() =>
      eventProxySettingsFromEnv({
        TARGET_TYPE: 'http',
        TARGET_HTTP_URL: 'http://x',
        TARGET_HTTP_HEADERS: 'no separator',
      }),
    );
    expect(bad.message).toBe(
      'TARGET_HTTP_HEADERS: expected Name=value pairs separated by ";" (or a JSON object), got "no separator"',
    );
  });

  it('documents every variable with what it accepts', () => {
    const names = EVENT_PROXY_ENV.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of EVENT_PROXY_ENV) expect(v.expect.length).toBeGreaterThan(0);
    expect(EVENT_PROXY_ENV.find((v) => v.name === 'KONG_ADMIN_TIMEOUT')?.default).toBe('5s');
    expect(EVENT_PROXY_ENV.find((v) => v.name === 'TARGET_KAFKA_RETRY_MAX')?.default).toBe('3');
  });
});

describe('validateEventProxySettings (structured form)', () => {
  it('fills nested defaults', () => {
    const input = { target: { type: 'file', file: { path: 'x' } } };
    const s = validateEventProxySettings(input);
    expect(s.batch).toEqual({ max_events: 500, linger_ms: 50 });
    expect(s.retry).toEqual({ initial_ms: 100, max_ms: 30_000 });
    expect(s.ingest.max_body_bytes).toBe(10 * 1024 * 1024);
    expect(s.dead_letter.path).toBe('./switchyard-dead-letters.ndjson');
    expect(s.target.file).toEqual({ path: 'x', fsync: 'batch', rotate_bytes: 0, rotate_keep: 5 });
    expect(input).toEqual({ target: { type: 'file', file: { path: 'x' } } }); // the caller's object is untouched
  });

  it('requires the settings of the chosen target', () => {
    const err = errorOf(() => validateEventProxySettings({ target: { type: 'rabbitmq' } }, 'settings'));
    expect(err.code).toBe('SWY_CONFIG_INVALID');
    expect(err.message).toBe(
      'settings error /target/rabbitmq: missing required key "rabbitmq" (when target.type is "rabbitmq")',
    );
  });

  it('names each pointer and what it expects, with near-miss hints', () => {
    const err = errorOf(() =>
      validateEventProxySettings({
        target: { type: 'file', file: { path: 'x' } },
        batch: { max_event: 10, linger_ms: -1 },
      }),
    );
    expect(err.message.split('\n')).toEqual([
      'event proxy settings error /batch/max_event: unknown key; did you mean "max_events"?',
      'event proxy settings error /batch/linger_ms: expected a number ≥ 0, got -1',
    ]);
  });
});

describe('loadEventProxySettings (file, then environment)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-ep-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };

  it('reads the file and lets environment variables override it', async () => {
    const file = await write(
      'ok.json',
      JSON.stringify({
        target: { type: 'http', http: { url: 'http://127.0.0.1:1/a', timeout_ms: 1000 } },
        batch: { max_events: 10 },
      }),
    );
    const fromFile = await loadEventProxySettings({ file, env: {} });
    expect(fromFile.target.http?.timeout_ms).toBe(1000);
    expect(fromFile.batch).toEqual({ max_events: 10, linger_ms: 50 });
    const s = await loadEventProxySettings({
      file,
      env: { TARGET_HTTP_TIMEOUT: '3s', EVENT_BATCH_LINGER: '1s' },
    });
    expect(s.target.http).toMatchObject({ url: 'http://127.0.0.1:1/a', timeout_ms: 3000 });
    expect(s.batch).toEqual({ max_events: 10, linger_ms: 1000 });
    // TARGET_TYPE in the environment switches the target; its group comes from the environment
    const f = await loadEventProxySettings({ file, env: { TARGET_TYPE: 'file', TARGET_FILE_PATH: '-' } });
    expect(f.target.type).toBe('file');
    expect(f.target.file?.path).toBe('-');
  });

  it('takes the file from EVENT_PROXY_CONFIG', async () => {
    const file = await write(
      'env.json',
      JSON.stringify({ target: { type: 'file', file: { path: 'out.ndjson' } } }),
    );
    const s = await loadEventProxySettings({ env: { EVENT_PROXY_CONFIG: file } });
    expect(s.target.file?.path).toBe('out.ndjson');
  });

  it('reports file problems with file, pointer and line:column', async () => {
    const file = await write(
      'bad.json',
      '{\n  "target": {\n    "type": "kafka",\n    "kafka": { "brokers": ["127.0.0.1:9092"], "topic": "t", "compresion": "gzip" }\n  }\n}\n',
    );
    const err = await rejectionOf(loadEventProxySettings({ file, env: {} }));
    expect(err.code).toBe('SWY_CONFIG_INVALID');
    expect(err.message).toBe(
      `${file}:4:61 error /target/kafka/compresion: unknown key; did you mean "compression"?`,
    );
  });

  it('hints at the variable for a key missing from the file', async () => {
    const file = await write(
      'missing.json',
      '{\n  "target": {\n    "type": "kafka",\n    "kafka": { "topic": "t" }\n  }\n}\n',
    );
    const err = await rejectionOf(loadEventProxySettings({ file, env: {} }));
    expect(err.message).toBe(
      `${file}:4:14 error /target/kafka/brokers: missing required key "brokers"; or set TARGET_KAFKA_BROKERS`,
    );
    const ok = await loadEventProxySettings({ file, env: { TARGET_KAFKA_BROKERS: '127.0.0.1:9092' } });
    expect(ok.target.kafka?.brokers).toEqual(['127.0.0.1:9092']);
  });

  it('refuses malformed JSON with line:column and a missing file clearly', async () => {
    const file = await write('broken.json', '{\n  "target": { "type": "file", }\n}\n');
    const err = await rejectionOf(loadEventProxySettings({ file, env: {} }));
    expect(err.code).toBe('SWY_CONFIG_PARSE');
    expect(err.message).toBe(
      `${file}:2:31: invalid JSON: expected another key after "," (trailing commas are not JSON), found '}'`,
    );
    const missing = await rejectionOf(loadEventProxySettings({ file: join(dir, 'nope.json'), env: {} }));
    expect(missing.code).toBe('SWY_CONFIG_READ');
    expect(missing.message).toContain('nope.json: cannot read the configuration file: no such file');
  });
});
