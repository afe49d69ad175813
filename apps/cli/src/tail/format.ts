import {
  type Envelope,
  type NodeHealthData,
  type PluginUpdatedData,
  type RequestData,
  type ResponseData,
  ulidTime,
} from '@switchyard/shared';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The event's time to the millisecond when its id is a ULID (the gateway's are), else its timestamp. */
function timeOf(e: Envelope): string {
  const ms = ULID.test(e.id) ? ulidTime(e.id) : e.timestamp * 1000;
  return new Date(ms).toISOString().slice(11, 23);
}

const ms = (n: number) => `${Math.round(n * 10) / 10} ms`;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 102.4) / 10} KiB`;
  return `${Math.round(n / (1024 * 102.4)) / 10} MiB`;
}

const short = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

function describe(e: Envelope): string {
  switch (e.event_type) {
    case 'request': {
      const d = e.data as RequestData;
      return `${d.method} ${d.path}  endpoint=${d.endpoint || '-'} client=${d.client_ip} request_id=${d.request_id}`;
    }
    case 'response': {
      const d = e.data as ResponseData;
      const calls = d.backends
        .map((b) => `${b.status ?? 'no answer'} ${b.method} ${b.url}${b.error ? ` (${b.error})` : ''}`)
        .join(', ');
      const parts = [`${d.status} ${d.method} ${d.path}`, ms(d.latency_ms), bytes(d.bytes)];
      if (!d.completed) parts.push('incomplete');
      if (calls) parts.push(`backends: ${calls}`);
      return `${parts.join('  ')}  request_id=${d.request_id}`;
    }
    case 'plugin_updated': {
      const d = e.data as PluginUpdatedData;
      return `${d.plugin} @ ${d.scope}: ${d.change} ${short(d.from)} -> ${short(d.to)}`;
    }
    case 'node_health': {
      const d = e.data as NodeHealthData;
      return `${d.status}  in_flight=${d.in_flight} rss=${bytes(d.rss_bytes)} lag=${ms(d.event_loop_lag_ms)} uptime=${d.uptime_s}s`;
    }
    default:
      return short((e as { data?: unknown }).data);
  }
}

/** One readable line per event, for a terminal: time, type, then what matters for that type. */
export function formatEventLine(e: Envelope): string {
  return `${timeOf(e)} ${e.event_type.padEnd(14)} ${describe(e)}`;
}
