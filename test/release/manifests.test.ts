import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeExample } from './support/release.js';

// What makes each workspace package publishable, checked from the repository (fast; release.test.ts
// checks the packed result).

const ROOT = resolve(import.meta.dirname, '../..');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

interface Manifest {
  name: string;
  license?: string;
  types?: string;
  engines?: { node?: string };
  files?: string[];
  exports?: Record<string, unknown>;
  publishConfig?: { access?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const root = readJson(join(ROOT, 'package.json')) as Manifest & { workspaces: string[] };
const dirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(ROOT, group)).map((name) => join(ROOT, group, name)),
);

/** The packages a package's sources import (`node:` built-ins left out), by package name. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(join(dir, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(dir, 'src', file), 'utf8');
    // `… from 'x'`, `import 'x'`, `import('x')`; and a name handed to a loader (`load('x')`: optional peers).
    for (const m of text.matchAll(/(?:\bfrom\s+|^import\s+|\bimport\(\s*|\bload\(\s*)'([^'./][^']*)'/gm)) {
      const spec = m[1] as string;
      if (spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
    }
  }
  return names;
}

describe.each(dirs.map((dir) => [readJson(join(dir, 'package.json')).name as string, dir]))(
  '%s',
  (_, dir) => {
    const pkg = readJson(join(dir, 'package.json')) as Manifest;

    it('is publishable: scoped, public, Apache-2.0, ESM with types, the engines of the repository', () => {
      expect(pkg.name).toMatch(/^@switchyard\//);
      expect(pkg.publishConfig?.access).toBe('public');
      expect(pkg.license).toBe('Apache-2.0');
      expect(pkg.engines?.node).toBe(root.engines?.node);
      expect(pkg.types).toBe('./dist/index.d.ts');
      expect(pkg.exports?.['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
      // src ships too: the source and declaration maps in dist point into it.
      expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'src']));
    });

    it('has the LICENSE of the repository and a README with a library example', () => {
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
      const { code, output } = readmeExample(readFileSync(join(dir, 'README.md'), 'utf8'));
      expect(code).toContain(`from '${pkg.name}'`);
      expect(output).not.toBe('');
    });

    it('declares exactly the packages its sources import as runtime dependencies', () => {
      const declared = new Set([
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.peerDependencies ?? {}),
      ]);
      const imported = importedPackages(dir);
      expect([...imported].filter((name) => !declared.has(name)).sort()).toEqual([]);
      expect([...declared].filter((name) => !imported.has(name)).sort()).toEqual([]);
    });
  },
);

describe('package-lock.json', () => {
  const lock = readJson(join(ROOT, 'package-lock.json')) as { packages: Record<string, Manifest> };
  const entries = Object.keys(lock.packages);

  it("records every platform's optional binaries, so npm ci accepts it on Linux, macOS and Windows", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // Installed next to the package, or hoisted to a node_modules above it.
        const candidates = [`${path}/node_modules/${name}`, `node_modules/${name}`];
        if (!candidates.some((c) => c in lock.packages)) missing.push(`${path} → ${name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(entries.some((e) => /darwin/.test(e))).toBe(true);
    expect(entries.some((e) => /win32|windows/.test(e))).toBe(true);
  });
});
