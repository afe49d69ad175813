import { readFileSync } from 'node:fs';
import { EVENT_PROXY_ENV } from '@switchyard/config';
import { expect, it } from 'vitest';

const doc = readFileSync(new URL('../../../docs/event-proxy.md', import.meta.url), 'utf8');

it('docs/event-proxy.md lists every environment variable with its default and settings key', () => {
  for (const v of EVENT_PROXY_ENV) {
    // The table may be column-aligned by the formatter, so match the first cell loosely.
    const row = doc.split('\n').find((line) => new RegExp(`^\\|\\s*\`${v.name}\`\\s*\\|`).test(line));
    expect(row, `${v.name} is missing from docs/event-proxy.md`).toBeDefined();
    expect(row).toContain(`\`${v.pointer}\``);
    if (v.default !== undefined) expect(row).toContain(`\`${v.default}\``);
  }
});
