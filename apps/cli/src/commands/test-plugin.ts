import { basename } from 'node:path';
import { importPluginModule, type PluginType } from '@switchyard/gateway';
import { isSwitchyardError } from '@switchyard/shared';
import { type Flag, parseFlags } from '../args/flags.js';
import type { Command } from '../command.js';

/** KrakenD's `test-plugin` flags: which kinds of plugin each artifact should contain. */
const FLAGS: readonly Flag[] = [
  { long: 'server', short: 's', type: 'boolean', description: 'The module should contain a server plugin.' },
  { long: 'client', short: 'c', type: 'boolean', description: 'The module should contain a client plugin.' },
  {
    long: 'modifier',
    short: 'm',
    type: 'boolean',
    description: 'The module should contain a request or response modifier plugin.',
  },
];

const USAGE = 'switchyard test-plugin [-scm] MODULE...';

const KINDS: { flag: string; label: string; types: readonly PluginType[] }[] = [
  { flag: 'server', label: 'SERVER', types: ['http-server'] },
  { flag: 'modifier', label: 'MODIFIER', types: ['request-modifier', 'response-modifier'] },
  { flag: 'client', label: 'CLIENT', types: ['http-client'] },
];

/**
 * `switchyard test-plugin`: loads each module as the gateway would and says, per expected kind, whether
 * it registers a plugin of that kind, in KrakenD's `[OK]`/`[KO]` lines. Exit 1 when any fails.
 */
export const testPlugin: Command = {
  name: 'test-plugin',
  summary: 'test that one or more plugin modules load and contain the expected kinds of plugin',
  usage: USAGE,
  flags: FLAGS,
  async run(args, io) {
    const { values, positionals } = parseFlags('test-plugin', FLAGS, args, { positionals: true });
    const out = (line: string) => io.stdout.write(`${line}\n`);
    if (positionals.length === 0) {
      out('At least one plugin is required.');
      return 1;
    }
    const expected = KINDS.filter((k) => values[k.flag] === true);
    if (expected.length === 0) {
      out('You must declare the expected type of the plugin.');
      return 1;
    }
    const start = performance.now();
    let failed = 0;
    for (const file of positionals) {
      const name = basename(file);
      let types: PluginType[];
      try {
        types = (await importPluginModule(file)).plugins.map((p) => p.type);
      } catch (err) {
        if (!isSwitchyardError(err)) throw err;
        for (const k of expected) out(`[KO] ${k.label}\t${name}: ${err.message}`);
        failed++;
        continue;
      }
      let ok = true;
      for (const k of expected) {
        if (types.some((t) => k.types.includes(t))) out(`[OK] ${k.label}\t${name}`);
        else {
          ok = false;
          out(`[KO] ${k.label}\t${name}: The plugin does not contain a ${k.types.join(' or ')} plugin.`);
        }
      }
      if (!ok) failed++;
    }
    const took = `${Math.round(performance.now() - start)}ms`;
    if (failed > 0) {
      out(`[KO] ${positionals.length} tested plugin(s) in ${took}.\n${failed} plugin(s) failed.`);
      return 1;
    }
    out(`[OK] ${positionals.length} tested plugin(s) in ${took}`);
    return 0;
  },
};
