import type { GatewayFile } from '@switchyard/config';
import { createGateway, loadPlugins } from '@switchyard/gateway';
import { createLogger } from '@switchyard/shared';

/**
 * `check -t`: builds the router and every endpoint pipeline as `run` does (route collisions, bad
 * patterns, plugins that cannot start), without listening, then releases what it built. Throws what
 * `run` would refuse with; returns the endpoints `run` would answer 500 (`endpoint not served`), each
 * with its reason, as KrakenD's check -t logs the endpoints whose proxy it cannot build.
 */
export async function testRoutes(config: GatewayFile, debug: boolean): Promise<string[]> {
  const unserved: string[] = [];
  // What the gateway logs while building is not check's output, but for the endpoints it cannot serve.
  const logger = createLogger({
    name: 'switchyard-check',
    level: 'error',
    destination: {
      write: (line: string) => {
        const entry = JSON.parse(line) as {
          msg?: string;
          method?: string;
          endpoint?: string;
          reason?: string;
        };
        if (entry.msg?.includes('endpoint not served'))
          unserved.push(`${entry.method} ${entry.endpoint}: not served (${entry.reason}); it answers 500`);
      },
    },
  });
  // The plugin modules too, as run loads them: an endpoint naming one that does not load answers 500.
  const plugins = config.plugin ? await loadPlugins(config.plugin, logger) : undefined;
  const gateway = createGateway({ config, logger, debug, admin: false, ...(plugins && { plugins }) });
  await gateway.close();
  return unserved;
}
