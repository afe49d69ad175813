/** Polls until `check` is true (bounded: fails after `ms`). */
export async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Answers after `ms`, unless the client went away first (then the timer is cleared). */
export function later(res: import('node:http').ServerResponse, ms: number, answer: () => void): void {
  const timer = setTimeout(answer, ms);
  res.on('close', () => clearTimeout(timer));
}
