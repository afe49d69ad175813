/**
 * The library example of a package README: the first ```js block of its "## Example" section and the
 * ```text block after it, which is what the example prints.
 */
export function readmeExample(readme: string): { code: string; output: string } {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Example\n'));
  if (!section) throw new Error('the README has no "## Example" section');
  const code = /^```js\n([\s\S]*?)^```$/m.exec(section)?.[1];
  const output = /^```text\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (code === undefined || output === undefined) {
    throw new Error(
      'the "## Example" section needs a ```js block and, after it, a ```text block of its output',
    );
  }
  return { code, output: output.trim() };
}

/** Polls until `check` is true; fails after `ms`. */
export async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
