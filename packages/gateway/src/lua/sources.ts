import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SwitchyardError } from '@switchyard/shared';

/** The settings every `modifier/lua-*` namespace shares, as krakend-lua reads them. */
export interface LuaSettings {
  sources?: string[] | undefined;
  md5?: Record<string, string> | undefined;
  pre?: string | undefined;
  post?: string | undefined;
  live?: boolean | undefined;
  allow_open_libs?: boolean | undefined;
  skip_next?: boolean | undefined;
}

const invalid = (where: string, message: string) =>
  new SwitchyardError('SWY_CONFIG_INVALID', `${where}: ${message}`);

function read(file: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(where, `lua: unable to load required source ${file} (${(err as Error).message})`);
  }
}

/**
 * The `sources` of a Lua namespace, joined as krakend-lua joins them (paths relative to the working
 * directory). Read once at route build and checked against `md5`; with `live`, read again on every
 * request (a file that became unreadable is then that request's script error).
 */
export function luaSources(cfg: LuaSettings, where: string): () => string {
  const files = cfg.sources ?? [];
  if (files.length === 0) return () => '';
  const once = files.map((f) => read(f, where));
  for (const [file, want] of Object.entries(cfg.md5 ?? {})) {
    const i = files.indexOf(file);
    const have = createHash('md5')
      .update(i === -1 ? '' : (once[i] as string))
      .digest('hex');
    if (have !== want)
      throw invalid(where, `lua: wrong checksum for source ${file}. have: ${have}, want: ${want}`);
  }
  if (!cfg.live) {
    const joined = once.join('\n');
    return () => joined;
  }
  return () =>
    files
      .map((f) => {
        try {
          return readFileSync(f, 'utf8');
        } catch {
          throw new Error(`lua: unable to load required source ${f}`);
        }
      })
      .join('\n');
}
