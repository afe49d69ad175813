import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The example the demo runs: the repository's examples/aggregation.json (from src/ and from dist/). */
export const DEMO_EXAMPLE = fileURLToPath(new URL('../../../../examples/aggregation.json', import.meta.url));

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
