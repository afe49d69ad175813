import { readFile } from 'node:fs/promises';
import { SwitchyardError } from '@switchyard/shared';
import { Ajv, type ErrorObject } from 'ajv';

/**
 * `check -s SCHEMA`: validates the parsed config against a JSON Schema file (draft-07, as KrakenD's
 * published schema), and returns one line per violation. A URL is refused: check reads no network.
 */
export async function lintWithSchema(config: unknown, schemaPath: string): Promise<string[]> {
  if (/^https?:\/\//i.test(schemaPath))
    throw new SwitchyardError(
      'SWY_INVALID_ARGUMENT',
      `--lint-schema ${schemaPath}: check reads no network; download the schema and pass its path`,
    );
  let schema: unknown;
  try {
    schema = JSON.parse(await readFile(schemaPath, 'utf8'));
  } catch (err) {
    throw new SwitchyardError('SWY_CONFIG_READ', `--lint-schema ${schemaPath}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema as object);
  } catch (err) {
    throw new SwitchyardError(
      'SWY_CONFIG_READ',
      `--lint-schema ${schemaPath}: not a usable JSON Schema: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (validate(config)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`,
  );
}
