import { readFile } from 'node:fs/promises';
import { SwitchyardError } from '@switchyard/shared';
import { type ParsedJson, parseJsonWithPositions } from './parse-with-positions.js';

/** Reads and parses a JSON config file, keeping positions. SWY_CONFIG_READ / SWY_CONFIG_PARSE on failure. */
export async function readJsonFile(file: string): Promise<ParsedJson & { text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SwitchyardError('SWY_CONFIG_READ', `${file}: cannot read the configuration file: ${reason}`, {
      cause: err,
      details: { file },
    });
  }
  return { ...parseJsonWithPositions(text, file), text };
}
