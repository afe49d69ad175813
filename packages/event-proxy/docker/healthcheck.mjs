// The event proxy image's HEALTHCHECK: reads the listener address from the proxy's own settings
// (EVENT_PROXY_LISTEN, or `listen` in the EVENT_PROXY_CONFIG file; default 127.0.0.1:8095) and GETs
// /healthz there (loopback when it listens on every interface), with EVENT_PROXY_TOKEN as a bearer token
// when set. Exit 0 when healthy, else 1 with the reason on stderr.
import { loadEventProxySettings } from '@switchyard/config';

const TIMEOUT_MS = 3000;

try {
  const settings = await loadEventProxySettings({ env: process.env });
  const at = settings.listen.lastIndexOf(':');
  const ip = settings.listen.slice(0, at).replace(/^\[|\]$/g, '');
  const host = !ip || ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip.includes(':') ? `[${ip}]` : ip;
  const url = `http://${host}:${settings.listen.slice(at + 1)}/healthz`;
  const token = process.env.EVENT_PROXY_TOKEN;
  const res = await fetch(url, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  }).catch((err) => {
    throw new Error(`${url}: ${err.cause?.code ?? err.message}`);
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
} catch (err) {
  console.error(`healthcheck: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
