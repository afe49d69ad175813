import semver from 'semver';

/** One way a plugin package does not fit this Switchyard, as KrakenD's check-plugin lists a dependency. */
export interface Incompatibility {
  name: string;
  have: string;
  want: string;
  /** The command that fixes it (`-f`), when there is one. */
  fix?: string;
}

const GATEWAY = '@switchyard/gateway';
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What in a plugin's package.json does not fit the running versions: the @switchyard/gateway range it
 * depends on (dependencies, peerDependencies or devDependencies) must admit this gateway's version, and
 * its `engines.node` this Node. A package that names neither is compatible.
 */
export function incompatibilities(
  manifest: unknown,
  running: { gateway: string; node: string },
): Incompatibility[] {
  if (!isObject(manifest)) return [{ name: 'package.json', have: typeof manifest, want: 'an object' }];
  const out: Incompatibility[] = [];
  for (const key of ['dependencies', 'peerDependencies', 'devDependencies']) {
    const deps = manifest[key];
    const range = isObject(deps) ? deps[GATEWAY] : undefined;
    if (typeof range !== 'string') continue;
    if (
      semver.validRange(range) === null ||
      !semver.satisfies(running.gateway, range, { includePrerelease: true })
    )
      out.push({
        name: GATEWAY,
        have: range,
        want: running.gateway,
        fix: `npm install ${key === 'devDependencies' ? '-D ' : key === 'peerDependencies' ? '--save-peer ' : ''}${GATEWAY}@${running.gateway}`,
      });
  }
  const engines = manifest.engines;
  const node = isObject(engines) ? engines.node : undefined;
  if (typeof node === 'string' && !semver.satisfies(running.node, node))
    out.push({ name: 'node', have: node, want: running.node });
  return out;
}
