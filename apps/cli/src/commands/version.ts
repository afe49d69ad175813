import { VERSION } from '@switchyard/shared';
import type { Command } from '../command.js';

export const version: Command = {
  name: 'version',
  summary: 'print the version',
  usage: 'switchyard version',
  async run(_args, io) {
    io.stdout.write(`switchyard ${VERSION} (node ${process.version})\n`);
    return 0;
  },
};
