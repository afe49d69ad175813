// Run by each package's build after tsc, in the package's directory. tsc never deletes: the output of a
// source file that was removed stays in dist/, and a packed package would ship it with source maps that
// point at nothing. This removes what no source file emits any more, and leaves dist/ in place otherwise
// (other tasks read it while a build runs).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const EMITTED = /\.(d\.ts|js)(\.map)?$/;
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );

if (existsSync('dist')) {
  for (const file of walk('dist')) {
    const rel = relative('dist', file);
    if (!EMITTED.test(rel)) continue;
    if (!existsSync(join('src', rel.replace(EMITTED, '.ts')))) rmSync(file);
  }
}
