import type { GatewayFile } from '@switchyard/config';
import { createGateway } from '@switchyard/gateway';
import { createLogger } from '@switchyard/shared';

/**
 * `check -t`: builds the router and every endpoint pipeline as `run` does (route collisions, bad
 * patterns, plugins that cannot start), without listening, then releases what it built. Throws what
 * `run` would refuse with.
 */
export async function testRoutes(config: GatewayFile, debug: boolean): Promise<void> {
  // What the gateway would log while building (telemetry/logging may raise the level) is not check's output.
  const logger = createLogger({
    name: 'switchyard-check',
    level: 'silent',
    destination: { write: () => {} },
  });
  const gateway = createGateway({ config, logger, debug, admin: false });
  await gateway.close();
}
