import type { EventProxySettings } from '@switchyard/config';
import { type Logger, SwitchyardError } from '@switchyard/shared';
import { FileSink } from './file.js';
import { HttpSink } from './http.js';
import { createKafkaSink } from './kafka.js';
import { createRabbitSink } from './rabbitmq.js';
import type { Sink, SinkRetryListener } from './sink.js';

export interface SinkDeps {
  logger: Logger;
  /** Told how many events a sink tries again inside one send (for `switchyard_events_sink_retried_total`). */
  onRetry?: SinkRetryListener;
  /** Where a file sink with `path: "-"` writes (default process.stdout). */
  stdout?: NodeJS.WritableStream;
}

type Target = EventProxySettings['target'];

function settingsOf<K extends 'kafka' | 'http' | 'file' | 'rabbitmq'>(
  target: Target,
  type: K,
): NonNullable<Target[K]> {
  const settings = target[type];
  if (!settings) {
    throw new SwitchyardError(
      'SWY_CONFIG_INVALID',
      `target.${type} is required when target.type is "${type}"`,
    );
  }
  return settings as NonNullable<Target[K]>;
}

/** The sink for `target.type`, built from its settings block. */
export function createSink(target: Target, deps: SinkDeps): Sink {
  switch (target.type) {
    case 'http':
      return new HttpSink(settingsOf(target, 'http'), deps);
    case 'file':
      return new FileSink(settingsOf(target, 'file'), deps.stdout ? { stdout: deps.stdout } : {});
    case 'kafka':
      return createKafkaSink(settingsOf(target, 'kafka'), deps);
    case 'rabbitmq':
      return createRabbitSink(settingsOf(target, 'rabbitmq'), deps);
  }
}
