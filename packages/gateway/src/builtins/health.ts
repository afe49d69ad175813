import type { RouteHandler } from '../request/exchange.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The time the way KrakenD's health endpoint writes it (Go's time.String(), in UTC). */
export function goTime(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} +0000 UTC`
  );
}

/** `GET /__health`: `{"agents":{},"now":"…","status":"ok"}`, as KrakenD answers it. */
export const health: RouteHandler = (x) => {
  x.begin(x.path, true);
  const body = `{"agents":{},"now":${JSON.stringify(goTime(new Date()))},"status":"ok"}`;
  x.send(200, { 'Content-Type': 'application/json; charset=utf-8' }, body, true);
};
