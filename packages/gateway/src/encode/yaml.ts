import { stringify } from 'yaml';

/** YAML for `negotiate` (Accept text/plain or application/x-yaml), keys sorted as Go's encoder does. */
export function toYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0 });
}
