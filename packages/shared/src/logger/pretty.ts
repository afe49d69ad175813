import { createRequire } from 'node:module';
import type { DestinationStream } from 'pino';

type Load = (id: string) => unknown;
type PrettyFactory = (options: { colorize: boolean; sync: boolean }) => DestinationStream;

const requireHere: Load = createRequire(import.meta.url);

/**
 * pino-pretty's stream when it is installed, else `undefined` (the logger then writes JSON lines).
 * pino-pretty is an optional peer dependency: only a person at a terminal wants it, so an install for
 * servers and containers does not carry it. Loaded on first use, not at import.
 */
export function prettyStream(load: Load = requireHere): DestinationStream | undefined {
  let pretty: PrettyFactory;
  try {
    pretty = load('pino-pretty') as PrettyFactory;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  return pretty({ colorize: true, sync: true });
}

/** The line logged once per process when pretty output was wanted but pino-pretty is not installed. */
export const PRETTY_MISSING =
  'pino-pretty is not installed: logging JSON lines (npm install pino-pretty for readable ones)';
