import { readFile } from 'node:fs/promises';
import { KafkaClientError } from './errors.js';
import { runTokenCommand, TokenCommandError } from './token-command.js';

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export type OAuthTokenSource = { file: string } | { command: string };

export interface OAuthTokenOptions {
  /** Lifetime assumed for a token that is not a JWT with an `exp` claim (default 5 minutes). */
  defaultLifetimeMs?: number;
  /** How long a token command may run (default 30 s); then it is killed, with everything it started. */
  commandTimeoutMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A token is fetched again once this share of its lifetime has passed (the Java client's default, 0.8). */
const REFRESH_WINDOW = 0.8;

/**
 * An OAUTHBEARER token read from a file or printed by a command, cached and fetched again before it expires:
 * once 80% of its lifetime (from a JWT's `exp` claim, else `defaultLifetimeMs`) has passed. `get` is what
 * `SaslOptions.token` wants; each new broker connection calls it.
 */
export class OAuthToken {
  private cached: { value: string; refreshAt: number } | undefined;
  private fetching: Promise<string> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly source: OAuthTokenSource,
    private readonly options: OAuthTokenOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  get = (): Promise<string> => {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.value);
    this.fetching ??= this.fetch().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  };

  private async fetch(): Promise<string> {
    const value = (await this.read()).trim();
    if (value === '') throw new KafkaClientError(`OAUTHBEARER: ${this.describe()} gave an empty token`, true);
    // The token goes into the SASL frame between \x01 separators: anything but RFC 6750's b64token would
    // corrupt it (a stray newline from a file, a control character from a command).
    if (!B64TOKEN.test(value)) {
      throw new KafkaClientError(
        `OAUTHBEARER: ${this.describe()} gave a token with characters RFC 6750 does not allow (A-Z a-z 0-9 - . _ ~ + / and trailing =)`,
        false,
      );
    }
    const fetchedAt = this.now();
    const expiresAt = jwtExpiry(value) ?? fetchedAt + (this.options.defaultLifetimeMs ?? 300_000);
    if (expiresAt <= fetchedAt) {
      throw new KafkaClientError(`OAUTHBEARER: the token from ${this.describe()} has expired`, true);
    }
    this.cached = { value, refreshAt: fetchedAt + (expiresAt - fetchedAt) * REFRESH_WINDOW };
    return value;
  }

  private async read(): Promise<string> {
    try {
      if ('file' in this.source) return await readFile(this.source.file, 'utf8');
      return await runTokenCommand(this.source.command, this.options.commandTimeoutMs ?? 30_000);
    } catch (err) {
      // A failed command is described by how it ended only: its command line may hold a secret. A file's
      // error names the file, which is already in the message.
      const why = err instanceof TokenCommandError ? err.why : String((err as { code?: unknown }).code);
      throw new KafkaClientError(`OAUTHBEARER: cannot get a token from ${this.describe()}: ${why}`, true);
    }
  }

  private describe(): string {
    // The command may hold secrets anywhere (`TOKEN=… cmd`, arguments): never repeat any of it.
    return 'file' in this.source ? `file ${this.source.file}` : 'the token command';
  }
}

/** A JWT's `exp` claim in ms, or undefined when the token is not a JWT with one. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
