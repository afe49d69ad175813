import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { GelfNamespace } from '@switchyard/config';
import gelf from 'gelf-pro';
import tcp from 'gelf-pro/lib/adapter/tcp.js';
import udp from 'gelf-pro/lib/adapter/udp.js';

export const GELF = 'telemetry/gelf';
/**
 * Lines on their way to the input at once; past it a line is dropped (it still reached the output).
 * gelf-pro opens a socket per line, so an input that is slow or holds its connections would otherwise
 * cost a socket and a buffered message per log line.
 */
export const GELF_MAX_PENDING = 64;

/** Logstash-shaped lines' levels as syslog severities. */
const NAMED: Record<string, number> = { DEBUG: 7, INFO: 6, WARNING: 4, ERROR: 3, CRITICAL: 2 };

/** pino's levels (numbers, or names in logstash-shaped lines) as syslog severities (GELF's `level`). */
function severity(level: unknown): number {
  if (typeof level === 'string') return NAMED[level] ?? 6;
  if (typeof level !== 'number') return 6;
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/** `host:port`, `[v6]:port`; GELF's default port 12201 when none is given. */
export function gelfAddress(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]*)(?::(\d+))?$/.exec(address);
  return { host: m?.[1] || '127.0.0.1', port: m?.[2] ? Number(m[2]) : 12201 };
}

/** Keys a GELF input accepts as additional fields (`_name`): word characters and dashes. */
const key = (k: string) => k.replace(/[^\w-]/g, '_');
/** Line keys carried by the GELF message itself, or by no one. */
const OWN = new Set(['level', 'time', 'msg', 'message', '@timestamp', '@version', 'pid', 'hostname']);
/** Line keys a GELF message keeps for itself: the line's value goes in `_line_<key>`. */
const TAKEN = new Set(['host', 'version', 'timestamp', 'short_message', 'full_message', 'id']);

/**
 * A destination that sends each (already redacted) log line to the GELF input `telemetry/gelf` names,
 * through gelf-pro: UDP (compressed, chunked) or, with `enable_tcp`, TCP. The message is the line's
 * message, its level the syslog severity of the line's level, every other field an additional field
 * (`_line_host` for a field GELF itself names). A line the input does not take, or past GELF_MAX_PENDING
 * lines in flight, is dropped: it still reached the gateway's own output.
 */
export function gelfStream(cfg: GelfNamespace): Writable {
  const { host, port } = gelfAddress(cfg.address);
  const client = Object.create(gelf) as typeof gelf;
  client.setConfig({ adapterName: cfg.enable_tcp ? 'tcp' : 'udp' });
  const protocol = host.includes(':') ? 'udp6' : 'udp4';
  // The adapters are shared module objects: each client gets its own, so two gateways keep their inputs.
  const adapter = Object.create(cfg.enable_tcp ? tcp : udp).setOptions(
    cfg.enable_tcp ? { host, port, family: host.includes(':') ? 6 : 4 } : { host, port, protocol },
  );
  client.adapter = adapter;
  let pending = 0;
  const settled = () => {
    pending--;
  };
  const ignore = () => {};
  // A TCP line is sent once written, but its socket lives until the input closes it: counted until then.
  if (cfg.enable_tcp)
    adapter._instance = (options: NetConnectOpts): Socket => connect(options).once('close', settled);
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text || pending >= GELF_MAX_PENDING) continue;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        const extra: Record<string, unknown> = {};
        for (const k in line) if (!OWN.has(k)) extra[TAKEN.has(k) ? `line_${k}` : key(k)] = line[k];
        if (typeof line.time === 'number') extra.timestamp = line.time / 1000;
        const message = line.msg ?? line.message;
        pending++;
        const sent = cfg.enable_tcp ? ignore : settled;
        client.message(typeof message === 'string' ? message : '', severity(line.level), extra, sent);
      }
      done();
    },
  });
}
