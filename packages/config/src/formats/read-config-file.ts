import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { SwitchyardError } from '@switchyard/shared';
import { type ParsedJson, parseJsonWithPositions } from '../json/parse-with-positions.js';
import { parseTomlWithPositions } from './toml.js';
import { parseYamlWithPositions } from './yaml.js';

/** The config formats KrakenD users write (viper/koanf read these by extension). */
export type ConfigFormat = 'json' | 'yaml' | 'toml';

/** The format a file name says: `.yaml`/`.yml` YAML, `.toml` TOML, anything else JSON. */
export function formatOf(file: string): ConfigFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.toml') return 'toml';
  return 'json';
}

/** Parses config text in `format`, keeping the position of every value. SWY_CONFIG_PARSE with line:column. */
export function parseConfigText(text: string, format: ConfigFormat, file = '<input>'): ParsedJson {
  if (format === 'yaml') return parseYamlWithPositions(text, file);
  if (format === 'toml') return parseTomlWithPositions(text, file);
  return parseJsonWithPositions(text, file);
}

/** Reads a config file. SWY_CONFIG_READ when it cannot be read. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SwitchyardError('SWY_CONFIG_READ', `${file}: cannot read the configuration file: ${reason}`, {
      cause: err,
      details: { file },
    });
  }
}

/** Reads and parses a config file in the format its extension says. */
export async function readConfigFile(
  file: string,
): Promise<ParsedJson & { text: string; format: ConfigFormat }> {
  const text = await readConfigText(file);
  const format = formatOf(file);
  return { ...parseConfigText(text, format, file), text, format };
}
