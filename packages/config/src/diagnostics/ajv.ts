import { Ajv } from 'ajv';

/**
 * The one ajv instance of the config package. Schemas are compiled once, at module load, by the modules
 * that own them. `verbose` keeps the failing schema on each error so messages can say what was expected;
 * `useDefaults` fills the defaults written in the schemas (the event proxy settings rely on it).
 */
export const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true });
