import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KafkaError, OAuthToken, Producer } from '../src/index.js';
import { type FakeCluster, startFakeCluster } from './support/kafka-fake-broker.js';
import { failureOf, until } from './support/wait.js';

// SASL OAUTHBEARER against the scripted broker speaking the SASL exchange (SaslHandshake, SaslAuthenticate),
// and the token source: a file or a command, fetched again once 80% of the token's lifetime has passed.

const dir = mkdtempSync(join(tmpdir(), 'swy-oauth-'));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An unsigned JWT (the broker under test checks only that it is the expected one) expiring at `exp` (s). */
const jwt = (sub: string, exp: number) => {
  const [header, claims] = ['{"alg":"none"}', JSON.stringify({ sub, exp })].map((p) =>
    Buffer.from(p).toString('base64url'),
  );
  return `${header}.${claims}.`;
};

async function broker(expected: () => string): Promise<FakeCluster> {
  const cluster = await startFakeCluster(1, {
    sasl: {
      mechanisms: ['OAUTHBEARER', 'PLAIN'],
      check: (token) =>
        token.toString() === `n,,\x01auth=Bearer ${expected()}\x01\x01` ? null : '{"status":"invalid_token"}',
    },
  });
  cleanups.push(() => cluster.close());
  return cluster;
}

function producer(brokers: string[], token: () => Promise<string>): Producer {
  const p = new Producer({
    brokers,
    clientId: 'oauth-test',
    requestTimeoutMs: 3000,
    connectTimeoutMs: 2000,
    retryMax: 0,
    sasl: { mechanism: 'oauthbearer', token },
  });
  cleanups.push(() => p.close());
  return p;
}

/** Whether process `pid` runs (a zombie, dead but not yet reaped by whoever adopted it, does not). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  // The state follows the parenthesised command name: "1234 (sleep) S ...".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

const record = { topic: 'events', partition: 0, key: null, value: Buffer.from('x') };

describe('SASL OAUTHBEARER', () => {
  it('authenticates every connection with the token from a file, and produces', async () => {
    const token = jwt('proxy', Math.floor(Date.now() / 1000) + 3600);
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    const cluster = await broker(() => token);
    await producer(cluster.brokers, new OAuthToken({ file }).get).send([record]);
    expect(cluster.stored.get('events/0')).toBe(1);
    // The metadata connection and the leader's: each authenticated.
    expect(cluster.saslTokens.length).toBeGreaterThanOrEqual(1);
    expect(cluster.saslTokens.every((t) => t.toString().includes(`auth=Bearer ${token}`))).toBe(true);
  });

  it('a refused token: SASL_AUTHENTICATION_FAILED with the broker’s reason', async () => {
    const cluster = await broker(() => 'the-right-one');
    const err = await failureOf(producer(cluster.brokers, async () => 'a-wrong-one').send([record]));
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).type).toBe('SASL_AUTHENTICATION_FAILED');
    expect((err as Error).message).toContain('invalid_token');
  });

  it('a token printed by a command, fetched again once 80% of its lifetime passed', async () => {
    let now = 1_700_000_000_000;
    const script = join(dir, 'token.sh');
    const write = (sub: string) =>
      writeFileSync(script, `#!/bin/sh\necho '${jwt(sub, now / 1000 + 100)}'\n`, { mode: 0o700 });
    write('first');
    chmodSync(script, 0o700);
    const source = new OAuthToken({ command: script }, { now: () => now });
    const first = await source.get();
    write('second');
    now += 79_000;
    expect(await source.get()).toBe(first);
    now += 2_000;
    const second = await source.get();
    expect(second).not.toBe(first);
    expect(JSON.parse(Buffer.from(second.split('.')[1] as string, 'base64url').toString()).sub).toBe(
      'second',
    );
  });

  it('an expired token, or a command that fails: an error naming the source, not the secret', async () => {
    const file = join(dir, 'expired');
    writeFileSync(file, jwt('old', 1000));
    await expect(new OAuthToken({ file }).get()).rejects.toThrow(`the token from file ${file} has expired`);
    await expect(new OAuthToken({ command: 'false --secret=hunter2' }).get()).rejects.toThrow(
      /cannot get a token from the token command:/,
    );
    await expect(new OAuthToken({ command: 'false --secret=hunter2' }).get()).rejects.not.toThrow(/hunter2/);
    await expect(new OAuthToken({ command: 'SECRET=hunter2 false' }).get()).rejects.not.toThrow(/hunter2/);
  });

  it('a token with characters RFC 6750 does not allow (a control character, a line inside): refused', async () => {
    const file = join(dir, 'bad-chars');
    writeFileSync(file, `${jwt('a', 4_000_000_000)}\x01x`);
    await expect(new OAuthToken({ file }).get()).rejects.toThrow(/characters RFC 6750 does not allow/);
    writeFileSync(file, 'abc\ndef\n');
    await expect(new OAuthToken({ file }).get()).rejects.toThrow(/characters RFC 6750 does not allow/);
    // A trailing newline, as `echo` and editors leave, is not part of the token.
    writeFileSync(file, `${jwt('a', 4_000_000_000)}\n`);
    await expect(new OAuthToken({ file }).get()).resolves.toBe(jwt('a', 4_000_000_000));
  });

  it('a token command past its timeout is killed with what it started, and named only as the token command', async () => {
    const pidFile = join(dir, 'helper.pid');
    // A helper the shell starts and waits for, holding the output pipe: killing only /bin/sh would leave it.
    const command = `sleep 300 & echo $! > ${pidFile}; wait # --secret=hunter2`;
    const err = await failureOf(new OAuthToken({ command }, { commandTimeoutMs: 2000 }).get());
    expect((err as Error).message).toBe(
      'OAUTHBEARER: cannot get a token from the token command: no token within 2000 ms',
    );
    const helper = Number(readFileSync(pidFile, 'utf8'));
    expect(helper).toBeGreaterThan(0);
    await until(() => !running(helper), 5000);
  });
});
