import type { BotDetectorNamespace } from '@switchyard/config';
import { SwitchyardError } from '@switchyard/shared';
import { LRUCache } from 'lru-cache';
import { RE2JS } from 're2js';
import type { Exchange } from '../request/exchange.js';

export const BOT_DETECTOR = 'security/bot-detector';

/** Whether a User-Agent belongs to a bot. */
type IsBot = (userAgent: string) => boolean;

/**
 * krakend-botdetector's decision: an empty User-Agent is a bot only with `empty_user_agent_is_bot`; the
 * allow list wins over the deny list, which wins over the patterns. Patterns are Go regular expressions:
 * re2js matches them as Go's regexp does, in linear time, so no User-Agent can make a pattern backtrack.
 */
function detector(cfg: BotDetectorNamespace, where: string): IsBot {
  const allow = new Set(cfg.allow ?? []);
  const deny = new Set(cfg.deny ?? []);
  const patterns = (cfg.patterns ?? []).map((p, i) => {
    try {
      return RE2JS.compile(p);
    } catch (err) {
      throw new SwitchyardError(
        'SWY_CONFIG_INVALID',
        `${where} ${BOT_DETECTOR}: patterns[${i}] is not a regular expression: ${(err as Error).message}`,
        { cause: err },
      );
    }
  });
  const emptyIsBot = cfg.empty_user_agent_is_bot === true;
  return (ua) => {
    if (ua === '') return emptyIsBot;
    if (allow.has(ua)) return false;
    if (deny.has(ua)) return true;
    for (const p of patterns) if (p.test(ua)) return true;
    return false;
  };
}

/** The characters one cached User-Agent may average: a usual one is well under it. */
const AGENT_CHARS = 256;

/**
 * With `cache_size`, decisions are remembered per User-Agent in an LRU cache of that many entries, and of
 * at most that many times AGENT_CHARS characters: clients sending long, ever different agents cannot make
 * it hold cache_size header-sized keys.
 */
function cached(isBot: IsBot, size: number): IsBot {
  const cache = new LRUCache<string, boolean>({
    max: size,
    maxSize: size * AGENT_CHARS,
    sizeCalculation: (_bot, ua) => Math.max(1, ua.length),
  });
  return (ua) => {
    const hit = cache.get(ua);
    if (hit !== undefined) return hit;
    const bot = isBot(ua);
    cache.set(ua, bot);
    return bot;
  };
}

/** The decision for a User-Agent, cached with `cache_size` (`plain`: the uncached one, for tests). */
export function botDecision(cfg: BotDetectorNamespace, where: string, plain = detector(cfg, where)): IsBot {
  return cfg.cache_size ? cached(plain, cfg.cache_size) : plain;
}

/**
 * `security/bot-detector` (root or endpoint level): a request whose User-Agent is a bot's is answered 403
 * with no body, before anything else runs, as KrakenD's gin middleware aborts it (at the root: on every
 * path, 404s included). Returns whether it answered.
 */
export function compileBotDetector(
  cfg: BotDetectorNamespace,
  where: string,
  root: boolean,
): (x: Exchange) => boolean {
  const isBot = botDecision(cfg, where);
  return (x) => {
    const header = x.req.headers['user-agent'];
    if (!isBot(header ?? '')) return false;
    // At the root no route was matched yet: the answer is the gateway's, not an endpoint's.
    if (root) x.begin('');
    x.log().debug({ user_agent: header }, 'bot rejected');
    x.send(403, {}, null, false);
    return true;
  };
}
