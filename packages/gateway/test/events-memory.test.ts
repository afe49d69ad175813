import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Issue 16.7's probe as a regression test: 12,000 requests with a 30 KB header and one SSE reader used to
// take the gateway from 132 to 717 MB, retained. The events' captured headers are capped per event and
// the rings are bounded in bytes, so what stays is bounded. Measured in a child process (the built
// gateway, with its event worker), so this test's own memory does not count; no timing is asserted.

const PROBE = fileURLToPath(new URL('./support/ring-memory-probe.mjs', import.meta.url));
const MB = 1024 * 1024;

interface ProbeResult {
  before: number;
  after: number;
  failed: number;
  sse_bytes: number;
  retained_bytes: number;
  ring_max_bytes: number;
  timed_out: boolean;
}

describe('event memory', () => {
  it('stays bounded under 12,000 requests with a 30 KB header and one SSE reader', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', PROBE, '12000'], {
      timeout: 150_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1) as string) as ProbeResult;
    expect(r.timed_out).toBe(false);
    expect(r.failed).toBe(0);
    expect(r.sse_bytes).toBeGreaterThan(0);
    expect(r.retained_bytes).toBeLessThanOrEqual(r.ring_max_bytes);
    expect((r.after - r.before) / MB).toBeLessThan(150);
  }, 180_000);
});
