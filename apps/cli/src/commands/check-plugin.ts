import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { importPluginModule } from '@switchyard/gateway';
import { isSwitchyardError, VERSION } from '@switchyard/shared';
import { type Flag, parseFlags, stringFlag } from '../args/flags.js';
import type { Command } from '../command.js';
import { type Incompatibility, incompatibilities } from '../plugins/compatibility.js';

/** KrakenD's `check-plugin` flags where they mean something for ES modules (its -g/-l name Go and libc). */
const FLAGS: readonly Flag[] = [
  {
    long: 'sum',
    short: 's',
    type: 'string',
    value: 'PATH',
    description:
      "The plugin's package.json, whose dependencies are checked (KrakenD: its go.sum) [./package.json]",
  },
  {
    long: 'format',
    short: 'f',
    type: 'boolean',
    description: 'Show the commands that fix each incompatibility',
  },
];

const USAGE = 'switchyard check-plugin [-s PACKAGE_JSON] [-f] [MODULE...]';

/**
 * `switchyard check-plugin`: whether a plugin package can run in this Switchyard: the version of
 * @switchyard/gateway it depends on and the Node versions its `engines` allow, against this process; and
 * each MODULE named exports valid plugins. Exit 1 when anything is incompatible.
 */
export const checkPlugin: Command = {
  name: 'check-plugin',
  summary:
    "check that a plugin package's dependencies are compatible with this Switchyard, and its modules export valid plugins",
  usage: USAGE,
  flags: FLAGS,
  async run(args, io) {
    const { values, positionals } = parseFlags('check-plugin', FLAGS, args, { positionals: true });
    const file = resolve(stringFlag(values, 'sum') ?? 'package.json');
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      io.stderr.write(`${file}: ${(err as Error).message}\n`);
      return 1;
    }
    const diffs: Incompatibility[] = incompatibilities(manifest, {
      gateway: VERSION,
      node: process.versions.node,
    });
    for (const module of positionals) {
      try {
        const m = await importPluginModule(module);
        for (const p of m.plugins) io.stdout.write(`${m.file}: ${p.type} ${JSON.stringify(p.name)}\n`);
      } catch (err) {
        if (!isSwitchyardError(err)) throw err;
        diffs.push({
          name: module,
          have: err.message,
          want: 'a default export of plugins (docs/plugins.md)',
        });
      }
    }
    if (diffs.length === 0) {
      io.stdout.write('No incompatibilities found!\n');
      return 0;
    }
    for (const d of diffs) {
      if (values.format && d.fix) io.stdout.write(`${d.fix}\n`);
      else io.stdout.write(`${d.name}\n\thave: ${d.have}\n\twant: ${d.want}\n`);
    }
    io.stdout.write(`${diffs.length} incompatibilities found\n`);
    return 1;
  },
};
