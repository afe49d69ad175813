import type { GatewayFile } from '@switchyard/config';
import { createGateway, type Gateway, type GatewayObserver, type PluginRegistry } from '@switchyard/gateway';
import { createLogger, type Logger } from '@switchyard/shared';

export type TestConfig = Omit<GatewayFile, 'version'> & { version?: 3 };

export interface TestGateway {
  gateway: Gateway;
  port: number;
  close(): Promise<void>;
}

export const quietLogger = (): Logger => createLogger({ level: 'silent' });

/** The gateway under test on 127.0.0.1 with an ephemeral port and a silent logger. */
export async function startGateway(
  config: TestConfig,
  options: { observer?: GatewayObserver; debug?: boolean; logger?: Logger; plugins?: PluginRegistry } = {},
): Promise<TestGateway> {
  const gateway = createGateway({
    config: { version: 3, ...config },
    host: '127.0.0.1',
    port: 0,
    logger: options.logger ?? quietLogger(),
    // Tests run in parallel: no admin listener on the fixed default port.
    admin: false,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.debug ? { debug: true } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  const { port } = await gateway.listen();
  return { gateway, port, close: () => gateway.close() };
}
