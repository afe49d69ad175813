import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PROBE = fileURLToPath(new URL('../support/otel-import-probe.mjs', import.meta.url));

/** Runs the built gateway with `extra_config` where `@opentelemetry/*` cannot be imported. */
async function probe(extra: Record<string, unknown>) {
  const file = { version: 3, extra_config: extra, endpoints: [] };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [PROBE, JSON.stringify(file)], {
    timeout: 60_000,
  });
  return stdout + stderr;
}

describe('telemetry/opentelemetry is imported only when configured', () => {
  it('a gateway without it never imports @opentelemetry/*; one with it does', async () => {
    const without = await probe({});
    expect(without).toContain('served 200');
    expect(without).not.toContain('imported @opentelemetry/');
    // The probe can fail: with the namespace the SDK is imported (and, blocked here, logged as unavailable).
    const otel = { exporters: { otlp: [{ host: '127.0.0.1', port: 4318, use_http: true }] } };
    const withIt = await probe({ 'telemetry/opentelemetry': otel });
    expect(withIt).toContain('served 200');
    expect(withIt).toContain('SWY_TELEMETRY_UNAVAILABLE');
    expect(withIt).toContain('imported @opentelemetry/');
  }, 120_000);
});
