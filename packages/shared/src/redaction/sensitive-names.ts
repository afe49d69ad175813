/** Header or query parameter names whose values are hidden; `has` answers for any spelling of a name. */
export interface SensitiveNames {
  has(name: string): boolean;
}

/**
 * Beyond the listed names, a name is secret when, lower-cased and stripped of everything but letters and
 * digits (`X-Goog-Api-Key`, `user.password`, `password[]`, `token%00`), it contains one of these words or
 * ends in `key`: an exact list missed `jwt`, `private_token`, `X-Amz-Signature`, `X-Vault-Token`,
 * `Ocp-Apim-Subscription-Key` and the spellings above. `auth` is matched in `authorization`, not in
 * `author` or `authority`.
 */
const SECRET_WORDS = /token|secret|passw|pwd|apikey|auth(?!or(?!iz))|session|signature|credential|jwt|cookie/;
/** Short names that are secrets on their own: a URL signature, an OAuth authorization code. */
const SECRET_NAMES: ReadonlySet<string> = new Set(['sig', 'code']);

/** Names whose answer is remembered: every event asks for each of its headers, and names repeat. */
const REMEMBERED = 512;

/** `listed` and `extra` (case-insensitively), and every name that looks like a secret (above). */
export function sensitiveNames(listed: readonly string[], extra: readonly string[] = []): SensitiveNames {
  const exact = new Set([...listed, ...extra].map((n) => n.toLowerCase()));
  const seen = new Map<string, boolean>();
  return {
    has(name) {
      const known = seen.get(name);
      if (known !== undefined) return known;
      const lower = name.toLowerCase();
      const bare = lower.replace(/[^a-z0-9]/g, '');
      const secret =
        exact.has(lower) || SECRET_WORDS.test(bare) || bare.endsWith('key') || SECRET_NAMES.has(bare);
      // Bounded: a client sending endless distinct names only makes the later ones uncached.
      if (seen.size < REMEMBERED && name.length <= 128) seen.set(name, secret);
      return secret;
    },
  };
}
