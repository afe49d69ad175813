import { describe, expect, it } from 'vitest';
import { KafkaError } from '../src/errors.js';
import { ScramSession, saslSession } from '../src/sasl.js';
import { failureOf } from './support/wait.js';

// RFC 7677 section 3: SCRAM-SHA-256 with user "user", password "pencil".
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const CLIENT_FIRST = `n,,n=user,r=${CLIENT_NONCE}`;
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const CLIENT_FINAL =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';

describe('SASL', () => {
  it('computes the RFC 7677 SCRAM-SHA-256 client proof and accepts the server signature', async () => {
    const session = new ScramSession('sha256', 'user', 'pencil', CLIENT_NONCE);
    expect(session.mechanism).toBe('SCRAM-SHA-256');
    expect(session.start().toString()).toBe(CLIENT_FIRST);
    expect((await session.respond(Buffer.from(SERVER_FIRST)))?.toString()).toBe(CLIENT_FINAL);
    expect(await session.respond(Buffer.from(SERVER_FINAL))).toBeUndefined();
  });

  it('refuses a server that cannot prove it knows the password, or answers with an error', async () => {
    const forged = new ScramSession('sha256', 'user', 'pencil', CLIENT_NONCE);
    forged.start();
    await forged.respond(Buffer.from(SERVER_FIRST));
    await expect(
      forged.respond(Buffer.from('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')),
    ).rejects.toThrow(/server signature does not match/);

    const refused = new ScramSession('sha512', 'user', 'pencil', CLIENT_NONCE);
    const err = await failureOf(refused.respond(Buffer.from('e=invalid-proof')));
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).type).toBe('SASL_AUTHENTICATION_FAILED');

    const stolen = new ScramSession('sha256', 'user', 'pencil', CLIENT_NONCE);
    await expect(
      stolen.respond(Buffer.from('r=someone-else,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')),
    ).rejects.toThrow(/nonce/);
  });

  it('escapes "=" and "," in the SCRAM user name, and uses a fresh random nonce', () => {
    const a = saslSession({ mechanism: 'scram-sha-512', username: 'a=b,c', password: 'p' });
    const b = saslSession({ mechanism: 'scram-sha-512', username: 'a=b,c', password: 'p' });
    expect(a.mechanism).toBe('SCRAM-SHA-512');
    expect(a.start().toString()).toMatch(/^n,,n=a=3Db=2Cc,r=[A-Za-z0-9+/]{32}$/);
    expect(a.start().toString()).not.toBe(b.start().toString());
  });

  it('sends PLAIN as one "\\0user\\0password" token', async () => {
    const plain = saslSession({ mechanism: 'plain', username: 'alice', password: 's3cret' });
    expect(plain.mechanism).toBe('PLAIN');
    expect(plain.start()).toEqual(Buffer.from('\0alice\0s3cret'));
    expect(await plain.respond(Buffer.alloc(0))).toBeUndefined();
  });
});
