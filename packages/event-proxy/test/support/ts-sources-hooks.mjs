// Module hooks that let a plain `node` child process run the event proxy from its TypeScript sources (as
// vitest does in tests): `.ts` files are transpiled on load, `./x.js` imports find `./x.ts`, and the
// `@switchyard/*` packages point at their sources, so no build is needed. Use with
// `node --import ./ts-sources-register.mjs packages/event-proxy/src/main.ts`.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Transpiled output is cached by content hash, so a process started again (the crash tests) loads fast.
const CACHE_DIR = join(tmpdir(), 'switchyard-ts-sources-cache');
let ts;

const pkg = (name) => new URL(`../../../${name}/src/index.ts`, import.meta.url).href;
const ALIASES = {
  '@switchyard/shared': pkg('shared'),
  '@switchyard/kafka': pkg('kafka'),
  '@switchyard/config': pkg('config'),
  '@switchyard/event-proxy': pkg('event-proxy'),
};

export async function resolve(specifier, context, next) {
  const alias = ALIASES[specifier];
  if (alias) return { url: alias, shortCircuit: true };
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
    if (existsSync(url)) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const text = await readFile(path, 'utf8');
  const cached = join(CACHE_DIR, `${createHash('sha1').update(path).update(text).digest('hex')}.js`);
  const hit = await readFile(cached, 'utf8').catch(() => undefined);
  if (hit !== undefined) return { format: 'module', source: hit, shortCircuit: true };
  ts ??= (await import('typescript')).default;
  const { outputText } = ts.transpileModule(text, {
    fileName: path,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  await mkdir(CACHE_DIR, { recursive: true });
  // Written aside, then renamed: a process reading the cache at the same time never sees half a file.
  const aside = `${cached}.${process.pid}.tmp`;
  await writeFile(aside, outputText);
  await rename(aside, cached);
  return { format: 'module', source: outputText, shortCircuit: true };
}
