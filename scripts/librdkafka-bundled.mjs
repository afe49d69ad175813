// A newer librdkafka than Debian's, for the second Kafka mock harness: the source that
// @confluentinc/kafka-javascript ships (pinned in packages/kafka's devDependencies; its install script is
// denied in the root package.json's allowScripts, as it would fetch a prebuilt binary from GitHub or build the
// whole client), built once as a static library and cached by version, configure flags and patch, so CI
// pays the build (about 3 CPU-minutes) once per machine. Library: ensureBundledLibrdkafka().
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cache-dir.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = '@confluentinc/kafka-javascript';

// The mock cluster needs none of the optional dependencies; leaving them out keeps the build quick and the
// same on every machine.
const CONFIGURE = [
  '--no-download',
  '--enable-static',
  '--disable-ssl',
  '--disable-gssapi',
  '--disable-curl',
  '--disable-zstd',
  '--disable-zlib',
  '--disable-lz4-ext',
  '--disable-syslog',
  '--disable-debug-symbols',
];

// librdkafka's mock checks producer ids and sequence numbers only for transactional producers; Kafka checks
// them for every idempotent producer. These edits make the mock do the same (a batch sent again within the
// last five is acknowledged and not stored twice; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER), so the idempotence
// tests run against it. Each `from` must occur exactly once, or the build stops naming it.
const PATCHES = [
  {
    file: 'src/rdkafka_mock.c',
    from: `        if (!TransactionalId || RD_KAFKAP_STR_LEN(TransactionalId) < 1)
                return RD_KAFKA_RESP_ERR_NO_ERROR;
`,
    to: `        if (TransactionalId && RD_KAFKAP_STR_LEN(TransactionalId) < 1)
                TransactionalId = NULL;
`,
  },
  {
    file: 'src/rdkafka_mock.c',
    from: `                              &BaseSequence);
`,
    to: `                              &BaseSequence);
        if (pid.id == -1)
                return RD_KAFKA_RESP_ERR_NO_ERROR;
`,
  },
  {
    // A batch sent again is acknowledged without moving the expected sequence back: otherwise the batch after
    // it, when sent again too, would be taken as new and stored twice.
    file: 'src/rdkafka_mock.c',
    from: `        /* Update BaseSequence window */
`,
    to: `        if (*is_dupd)
                return RD_KAFKA_RESP_ERR_NO_ERROR;

        /* Update BaseSequence window */
`,
  },
];

/** Libraries the static librdkafka needs at link time (its Makefile.config LIBS with the flags above). */
export const LINK_LIBS = ['-lm', '-ldl', '-lpthread', '-lrt'];

function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.error?.message ?? result.status}):\n${output}`,
    );
  }
}

/**
 * The cached build of the bundled librdkafka, built first when missing: `{ version, include, lib, built }`,
 * `include` holding librdkafka/rdkafka.h and rdkafka_mock.h, `lib` the static library.
 */
export function ensureBundledLibrdkafka() {
  const require = createRequire(join(root, 'packages/kafka/package.json'));
  let manifest;
  try {
    manifest = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(`${PACKAGE} is not installed; run \`npm ci\` (packages/kafka devDependencies pin it)`);
  }
  const source = join(dirname(manifest), 'deps', 'librdkafka');
  const { librdkafka: version } = JSON.parse(readFileSync(manifest, 'utf8'));
  if (typeof version !== 'string' || !existsSync(join(source, 'configure'))) {
    throw new Error(`${PACKAGE} at ${dirname(manifest)} has no librdkafka source (deps/librdkafka)`);
  }
  const key = createHash('sha256')
    .update(JSON.stringify({ version, CONFIGURE, PATCHES }))
    .digest('hex')
    .slice(0, 12);
  const dir = join(cacheDir('librdkafka'), `${version}-${key}`);
  const result = {
    version,
    include: join(dir, 'include'),
    lib: join(dir, 'lib', 'librdkafka.a'),
    built: false,
  };
  if (existsSync(result.lib)) return result;

  const work = `${dir}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  try {
    const tree = join(work, 'librdkafka');
    cpSync(source, tree, { recursive: true });
    for (const { file, from, to } of PATCHES) {
      const path = join(tree, file);
      const text = readFileSync(path, 'utf8');
      if (text.split(from).length !== 2) {
        throw new Error(`librdkafka ${version}: ${file} no longer has exactly one ${JSON.stringify(from)}`);
      }
      writeFileSync(path, text.replace(from, to));
    }
    run('./configure', CONFIGURE, { cwd: tree });
    run('make', [`-j${availableParallelism()}`, '-C', 'src', 'librdkafka.a'], { cwd: tree });
    const out = join(work, 'out');
    mkdirSync(join(out, 'include', 'librdkafka'), { recursive: true });
    mkdirSync(join(out, 'lib'));
    for (const header of ['rdkafka.h', 'rdkafka_mock.h']) {
      cpSync(join(tree, 'src', header), join(out, 'include', 'librdkafka', header));
    }
    cpSync(join(tree, 'src', 'librdkafka.a'), join(out, 'lib', 'librdkafka.a'));
    // A rename, so a concurrent run sees either no build or a whole one.
    try {
      renameSync(out, dir);
    } catch (err) {
      if (!existsSync(result.lib)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ...result, built: true };
}
