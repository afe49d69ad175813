import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateEventProxySettings } from '@switchyard/config';
import { type Flag, parseFlags, stringFlag, usageError } from '../args/flags.js';
import type { Command } from '../command.js';
import { startDemoBackends } from '../demo/backends.js';
import { DEMO_EXAMPLE, demoConfig } from '../demo/config.js';
import { startRun } from '../wiring/run.js';
import { cliLogger } from './gateway.js';

const USAGE = 'switchyard demo [-p PORT] [--admin-listen ADDR] [--events FILE] [-c EXAMPLE]';
const DEFAULT_EVENTS_FILE = './switchyard-demo-events.ndjson';

interface DemoArgs {
  port: number | undefined;
  adminListen: string | undefined;
  eventsFile: string;
  example: string;
}

const FLAGS: readonly Flag[] = [
  { long: 'port', short: 'p', type: 'string', value: 'PORT', description: "The gateway's port [8080]" },
  {
    long: 'admin-listen',
    type: 'string',
    value: 'ADDR',
    description: 'Admin API and event stream address [127.0.0.1:8091]',
  },
  {
    long: 'events',
    type: 'string',
    value: 'FILE',
    description: `Where the event proxy writes events [${DEFAULT_EVENTS_FILE}]`,
  },
  {
    long: 'config',
    short: 'c',
    type: 'string',
    value: 'EXAMPLE',
    description: `The example to serve [${DEMO_EXAMPLE}]`,
  },
];

function parseDemoArgs(args: readonly string[]): DemoArgs {
  const { values } = parseFlags('demo', FLAGS, args);
  const portText = stringFlag(values, 'port');
  const port = portText === undefined ? undefined : Number(portText);
  if (portText !== undefined && (!/^\d+$/.test(portText) || (port as number) > 65535))
    throw usageError(`--port: expected a port number, got "${portText}"\nusage: ${USAGE}`);
  return {
    port,
    adminListen: stringFlag(values, 'admin-listen'),
    eventsFile: stringFlag(values, 'events') ?? DEFAULT_EVENTS_FILE,
    example: stringFlag(values, 'config') ?? DEMO_EXAMPLE,
  };
}

/**
 * `switchyard demo`: demo backends, the gateway on the aggregation example pointed at them, and the event
 * proxy in the same process writing every event to a file; prints what to try and runs until Ctrl-C.
 */
export const demo: Command = {
  name: 'demo',
  summary:
    'start demo backends, the gateway on examples/aggregation.json and the event proxy writing events to ./switchyard-demo-events.ndjson; prints what to curl; Ctrl-C stops',
  usage: USAGE,
  flags: FLAGS,
  async run(args, io) {
    const options = parseDemoArgs(args);
    const eventsFile = resolve(options.eventsFile);
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-demo-'));
    const backends = await startDemoBackends();
    try {
      const configFile = join(dir, 'aggregation.demo.json');
      await writeFile(
        configFile,
        `${JSON.stringify(await demoConfig(backends.url, options.example), null, 2)}\n`,
      );
      // Logs go to stderr (warnings and errors unless LOG_LEVEL says otherwise): stdout is for the guide.
      const logger = cliLogger(io, true, 'warn');
      const running = await startRun(
        { file: configFile, debug: false, port: options.port, adminListen: options.adminListen },
        io,
        {
          logger,
          host: '127.0.0.1',
          proxy: validateEventProxySettings({
            listen: '127.0.0.1:0',
            log_level: 'warn',
            target: { type: 'file', file: { path: eventsFile } },
            spool: { enabled: false },
            batch: { linger_ms: 20 },
            dead_letter: { path: join(dir, 'dead-letters.ndjson') },
          }),
        },
      );
      if (!running) return 1;
      const gw = running.gateway.address as { port: number };
      const base = `http://127.0.0.1:${gw.port}`;
      const admin = running.gateway.adminAddress?.url;
      io.stdout.write(
        [
          'Switchyard demo is running.',
          '',
          `  demo backends  ${backends.url}`,
          `  gateway        ${base}   (config ${configFile}: edit it and the gateway reloads)`,
          ...(admin ? [`  admin API      ${admin}   (/__health, /__events)`] : []),
          `  events file    ${eventsFile}`,
          '',
          'Try:',
          `  curl ${base}/users/1          # three backends merged into one answer`,
          `  curl ${base}/dashboard`,
          `  curl -X POST ${base}/orders -H 'Content-Type: application/json' -d '{"item":"book"}'`,
          `  tail -f ${eventsFile}`,
          ...(admin ? [`  npx @switchyard/cli events tail --from ${admin}`] : []),
          '',
          'Ctrl-C stops.',
          '',
        ].join('\n'),
      );
      const signal = await io.stopSignal;
      logger.info({ signal }, 'stopping the demo');
      await running.close();
      io.stdout.write(`Stopped. The events are in ${eventsFile}\n`);
      return 0;
    } finally {
      await backends.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
