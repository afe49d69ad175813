import { createRequire } from 'node:module';

// Read from the package manifest so `switchyard version`, User-Agent and node_health agree.
const require = createRequire(import.meta.url);
export const VERSION: string = (require('../package.json') as { version: string }).version;
