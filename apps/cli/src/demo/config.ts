import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

// Built, the example sits in dist/examples/ (copied by scripts/copy-demo-example.mjs, and shipped with
// the package); run from src/ in the repository, it is the repository's examples/.
const SHIPPED = new URL('../examples/aggregation.json', import.meta.url);
const REPOSITORY = new URL('../../../../examples/aggregation.json', import.meta.url);

/** The example the demo runs: examples/aggregation.json. */
export const DEMO_EXAMPLE = fileURLToPath(existsSync(SHIPPED) ? SHIPPED : REPOSITORY);

type Json = Record<string, unknown>;

/**
 * The demo's gateway file: the example with every `host` (the root's and each backend's) pointed at the
 * demo backends, and its comments kept. Only hosts change, so what the demo shows is the example itself.
 */
export async function demoConfig(backendUrl: string, example = DEMO_EXAMPLE): Promise<Json> {
  const file = JSON.parse(await readFile(example, 'utf8')) as Json;
  if (Array.isArray(file.host)) file.host = [backendUrl];
  for (const endpoint of (file.endpoints ?? []) as Json[]) {
    for (const backend of (endpoint.backend ?? []) as Json[]) {
      if (Array.isArray(backend.host)) backend.host = [backendUrl];
    }
  }
  return file;
}
