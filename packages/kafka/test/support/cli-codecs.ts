import { execFileSync } from 'node:child_process';
import kafkajs from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';

// kafkajs reads gzip itself, snappy through kafkajs-snappy; lz4 and zstd need codec plugins. These decode with
// the reference command-line tools (Debian's lz4 and zstd, installed by `npm run test:setup`), so what the
// client writes is checked by an implementation other than the one that wrote it.
const { CompressionCodecs, CompressionTypes } = kafkajs;

const unpack = (tool: string) => ({
  compress: async () => {
    throw new Error(`the test consumer does not compress with ${tool}`);
  },
  decompress: async (buffer: Buffer) => execFileSync(tool, ['-d', '-c', '-q'], { input: buffer }),
});

/** Registers the codecs of every compression the client writes with kafkajs' decoder. */
export function registerCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => unpack('lz4');
  CompressionCodecs[CompressionTypes.ZSTD] = () => unpack('zstd');
}
