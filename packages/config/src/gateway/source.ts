import { resolve } from 'node:path';
import { isSwitchyardError, SwitchyardError } from '@switchyard/shared';
import { flexibleConfigFromEnv, renderFlexibleConfig } from '../flexible/render.js';
import { type ConfigFormat, formatOf, parseConfigText, readConfigText } from '../formats/read-config-file.js';
import type { ParsedJson } from '../json/parse-with-positions.js';

/** A gateway config as read from disk, before validation. */
export interface GatewaySource {
  parsed: ParsedJson;
  /** The text that was parsed (the rendered template under Flexible Configuration). */
  text: string;
  format: ConfigFormat;
  /** What diagnostics name: the file, FC_OUT, or `<template> (rendered)`. */
  label: string;
  /** Every file the config came from (absolute): hot reload watches them all. */
  sources: string[];
  /** The FC_SETTINGS, FC_TEMPLATES and FC_PARTIALS folders (absolute), where a new file matters too. */
  folders: string[];
}

/** A template read without FC_ENABLE fails to parse: say how to render it. */
function parseOrHint(text: string, format: ConfigFormat, file: string): ParsedJson {
  try {
    return parseConfigText(text, format, file);
  } catch (err) {
    if (!isSwitchyardError(err, 'SWY_CONFIG_PARSE') || !/\{\{/.test(text)) throw err;
    throw new SwitchyardError(
      'SWY_CONFIG_PARSE',
      `${err.message}; it looks like a Flexible Configuration template: set FC_ENABLE=1 to render it`,
      { cause: err, ...(err.details && { details: err.details }) },
    );
  }
}

/**
 * Reads a gateway config in the format its extension says (JSON, YAML, TOML), rendering it first as a
 * Flexible Configuration template when FC_ENABLE is set (the rendered format is FC_OUT's, else JSON).
 */
export async function readGatewaySource(file: string, env: NodeJS.ProcessEnv): Promise<GatewaySource> {
  const fc = flexibleConfigFromEnv(env);
  if (!fc) {
    const text = await readConfigText(file);
    const format = formatOf(file);
    return {
      parsed: parseOrHint(text, format, file),
      text,
      format,
      label: file,
      sources: [resolve(file)],
      folders: [],
    };
  }
  const rendered = await renderFlexibleConfig(file, fc, env);
  const format = formatOf(fc.out ?? 'rendered.json');
  const label = fc.out ?? `${file} (rendered)`;
  return {
    parsed: parseConfigText(rendered.text, format, label),
    text: rendered.text,
    format,
    label,
    sources: rendered.sources,
    folders: [fc.settings, fc.templates, fc.partials].filter((d): d is string => !!d).map((d) => resolve(d)),
  };
}
