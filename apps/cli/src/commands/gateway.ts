import { type Diagnostic, formatDiagnostic, type GatewayFile, loadGatewayConfig } from '@switchyard/config';
import { createGateway, type Gateway } from '@switchyard/gateway';
import {
  createLogger,
  isSwitchyardError,
  type Logger,
  type LogLevel,
  SwitchyardError,
} from '@switchyard/shared';
import type { Command, CommandIO } from '../command.js';

export interface GatewayArgs {
  file: string;
  debug: boolean;
  port: number | undefined;
}

/** Parses `-c FILE [-d] [-p PORT]` (long forms: --config, --debug, --port). */
export function parseGatewayArgs(args: readonly string[], usage: string): GatewayArgs {
  let file: string | undefined;
  let debug = false;
  let port: number | undefined;
  const value = (i: number, flag: string) => {
    const v = args[i];
    if (v === undefined)
      throw new SwitchyardError('SWY_INVALID_ARGUMENT', `${flag} needs a value\nusage: ${usage}`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--config') file = value(++i, arg);
    else if (arg.startsWith('--config=')) file = arg.slice('--config='.length);
    else if (arg === '-d' || arg === '--debug') debug = true;
    else if (arg === '-p' || arg === '--port' || arg.startsWith('--port=')) {
      const text = arg.startsWith('--port=') ? arg.slice('--port='.length) : value(++i, arg);
      port = Number(text);
      if (!/^\d+$/.test(text) || port > 65535) {
        throw new SwitchyardError(
          'SWY_INVALID_ARGUMENT',
          `${arg}: expected a port number (0-65535), got ${JSON.stringify(text)}`,
        );
      }
    } else
      throw new SwitchyardError(
        'SWY_INVALID_ARGUMENT',
        `unknown option ${JSON.stringify(arg)}\nusage: ${usage}`,
      );
  }
  if (!file) throw new SwitchyardError('SWY_INVALID_ARGUMENT', `missing -c FILE\nusage: ${usage}`);
  return { file, debug, port };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Loads a gateway file; on a bad file writes the diagnostics the way `switchyard check` does and
 * returns null. Warnings go to stderr and do not stop the load.
 */
export async function loadForRun(file: string, io: CommandIO): Promise<GatewayFile | null> {
  try {
    const loaded = await loadGatewayConfig(file, { env: io.env });
    for (const w of loaded.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
    return loaded.config;
  } catch (err) {
    if (!isSwitchyardError(err) || !err.code.startsWith('SWY_CONFIG_')) throw err;
    const diagnostics = (err.details?.diagnostics as Diagnostic[] | undefined) ?? [];
    if (diagnostics.length === 0) {
      io.stderr.write(`${err.message}\n`);
      return null;
    }
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr.write(
      `${file}: ${plural(errors, 'error')}, ${plural(diagnostics.length - errors, 'warning')}\n`,
    );
    return null;
  }
}

/** The process logger: JSON lines on the command's stdout, level from LOG_LEVEL. */
export function cliLogger(io: CommandIO): Logger {
  return createLogger({
    name: 'switchyard',
    level: io.env.LOG_LEVEL?.toLowerCase() as LogLevel | undefined,
    ...(io.stdout === process.stdout ? {} : { destination: io.stdout }),
  });
}

export interface StartedGateway {
  gateway: Gateway;
  logger: Logger;
}

/** Loads the file and starts listening; null (diagnostics written) when the file is bad. */
export async function startGateway(args: GatewayArgs, io: CommandIO): Promise<StartedGateway | null> {
  const config = await loadForRun(args.file, io);
  if (!config) return null;
  const logger = cliLogger(io);
  const gateway = createGateway({
    config,
    logger,
    debug: args.debug,
    ...(args.port !== undefined && { port: args.port }),
  });
  await gateway.listen();
  return { gateway, logger };
}

/** Waits for SIGTERM/SIGINT, then closes gracefully (in-flight requests finish). */
export async function untilStopped(started: StartedGateway, io: CommandIO): Promise<number> {
  const signal = await io.stopSignal;
  started.logger.info({ signal }, 'stopping: finishing requests in flight');
  await started.gateway.close();
  return 0;
}

const USAGE = 'switchyard gateway -c FILE [-d] [-p PORT]';

/** `switchyard gateway`: the gateway alone, never the event proxy. */
export const gateway: Command = {
  name: 'gateway',
  summary:
    'run the API gateway alone from a KrakenD v3 file; SIGTERM/SIGINT finish requests in flight and exit',
  usage: USAGE,
  async run(args, io) {
    const started = await startGateway(parseGatewayArgs(args, USAGE), io);
    return started ? untilStopped(started, io) : 1;
  },
};
