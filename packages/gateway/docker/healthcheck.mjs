// The gateway image's HEALTHCHECK: reads the port from the file the gateway runs (SWITCHYARD_CONFIG, as the
// image's CMD passes it; SWITCHYARD_PORT and the other SWITCHYARD_* overrides apply as they do for the
// gateway), then GETs its health path (`router.health_path`, default /__health) on loopback, or, when the
// file disables that route, connects to the port. Exit 0 when healthy, else 1 with the reason on stderr.
import { connect } from 'node:net';
import { GATEWAY_DEFAULTS, loadGatewayConfig } from '@switchyard/config';

const TIMEOUT_MS = 3000;
const file = process.env.SWITCHYARD_CONFIG || '/etc/switchyard/krakend.json';

/** Where to reach a listener bound to `ip`: loopback when it listens on every interface. */
function reachable(ip) {
  if (!ip || ip === '0.0.0.0' || ip === '::') return '127.0.0.1';
  return ip.includes(':') ? `[${ip}]` : ip;
}

function tcpConnect(host, port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port, timeout: TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => socket.destroy(new Error(`connecting to ${host}:${port} timed out`)));
    socket.once('error', reject);
  });
}

try {
  const { config } = await loadGatewayConfig(file, { env: process.env });
  const host = reachable(config.listen_ip);
  const port = config.port ?? GATEWAY_DEFAULTS.port;
  const router = config.extra_config?.router ?? {};
  if (router.disable_health === true) {
    await tcpConnect(host, port);
  } else {
    const url = `http://${host}:${port}${router.health_path ?? '/__health'}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((err) => {
      throw new Error(`${url}: ${err.cause?.code ?? err.message}`);
    });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  }
} catch (err) {
  console.error(`healthcheck: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
