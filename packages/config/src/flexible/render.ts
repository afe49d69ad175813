import { readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SwitchyardError } from '@switchyard/shared';
import { parseJsonWithPositions } from '../json/parse-with-positions.js';
import type { Node } from './ast.js';
import { TemplateError } from './error.js';
import { execute, type TemplateFunction } from './exec.js';
import { BUILTINS, sprigFunctions } from './functions.js';
import { parseTemplate } from './parse.js';
import { goJson } from './values.js';

/** KrakenD's Flexible Configuration settings, from FC_* variables. */
export interface FlexibleConfig {
  /** FC_SETTINGS: a folder of `.json` files, each available to templates as `.<file name>`. */
  settings?: string;
  /** FC_PARTIALS: the folder `include "name"` reads files from, verbatim. */
  partials?: string;
  /** FC_TEMPLATES: a folder of `.tmpl` sub-templates, called with `template "name.tmpl" .`. */
  templates?: string;
  /** FC_OUT: where to write the rendered file; its extension says the rendered format [JSON]. */
  out?: string;
}

/** The FC_* settings when FC_ENABLE is set to anything (KrakenD: "0 won't disable it"); else null. */
export function flexibleConfigFromEnv(env: NodeJS.ProcessEnv): FlexibleConfig | null {
  if (!env.FC_ENABLE) return null;
  const pick = (name: string) => (env[name] ? { [name]: env[name] } : {});
  const v = { ...pick('FC_SETTINGS'), ...pick('FC_PARTIALS'), ...pick('FC_TEMPLATES'), ...pick('FC_OUT') };
  return {
    ...(v.FC_SETTINGS && { settings: v.FC_SETTINGS }),
    ...(v.FC_PARTIALS && { partials: v.FC_PARTIALS }),
    ...(v.FC_TEMPLATES && { templates: v.FC_TEMPLATES }),
    ...(v.FC_OUT && { out: v.FC_OUT }),
  };
}

export interface RenderedConfig {
  text: string;
  /** Every file the text came from: the template, sub-templates, settings and partials used. */
  sources: string[];
}

const templateError = (err: TemplateError) =>
  new SwitchyardError('SWY_CONFIG_TEMPLATE', err.message, {
    cause: err,
    details: {
      file: err.where.template,
      line: err.where.line,
      column: err.where.column,
      expression: err.where.source,
    },
  });

async function listDir(dir: string, ext: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith(ext)).sort();
  } catch (err) {
    throw new SwitchyardError(
      'SWY_CONFIG_READ',
      `${dir}: cannot read the folder: ${(err as Error).message}`,
      {
        cause: err,
        details: { file: dir },
      },
    );
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SwitchyardError('SWY_CONFIG_READ', `${file}: cannot read: ${reason}`, {
      cause: err,
      details: { file },
    });
  }
}

/**
 * Renders a KrakenD Flexible Configuration template as KrakenD does: the settings files as data, the
 * sub-templates parsed beside the main one, `include` reading partials verbatim, sprig and KrakenD
 * functions; writes FC_OUT when set. SWY_CONFIG_TEMPLATE (file:line:column and the failing expression),
 * SWY_CONFIG_PARSE for a settings file that is not JSON, SWY_CONFIG_READ for what cannot be read.
 */
export async function renderFlexibleConfig(
  file: string,
  fc: FlexibleConfig,
  env: NodeJS.ProcessEnv,
): Promise<RenderedConfig> {
  const sources = [resolve(file)];
  const data: Record<string, unknown> = {};
  if (fc.settings) {
    for (const name of await listDir(fc.settings, '.json')) {
      const path = join(fc.settings, name);
      sources.push(resolve(path));
      data[name.slice(0, -'.json'.length)] = parseJsonWithPositions(await readText(path), path).value;
    }
  }
  const templates = new Map<string, Node[]>();
  const files = new Map<string, string>();
  // Each file is a template named by its base name (Go's ParseFiles); errors name it by its path.
  const parse = async (path: string) => {
    const name = basename(path);
    files.set(name, path);
    try {
      parseTemplate(name, await readText(path), templates);
    } catch (err) {
      if (err instanceof TemplateError)
        throw templateError(new TemplateError({ ...err.where, template: path }, err.reason));
      throw err;
    }
  };
  const mainName = basename(file);
  await parse(file);
  if (fc.templates) {
    for (const name of await listDir(fc.templates, '.tmpl')) {
      const path = join(fc.templates, name);
      sources.push(resolve(path));
      await parse(path);
    }
  }
  const functions: Record<string, TemplateFunction> = {
    ...sprigFunctions(env),
    ...BUILTINS,
    marshal: (v) => goJson(v),
    include: (name) => {
      const path = join(fc.partials ?? '', String(name));
      try {
        const text = readFileSync(path, 'utf8');
        if (!sources.includes(resolve(path))) sources.push(resolve(path));
        return text;
      } catch (err) {
        throw new Error(
          `include ${JSON.stringify(name)}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    },
  };
  let text: string;
  try {
    text = execute(mainName, data, { templates, functions });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    // Name the template by its path, so an editor can open it.
    const path = files.get(err.where.template) ?? err.where.template;
    throw templateError(new TemplateError({ ...err.where, template: path }, err.reason, err.executing));
  }
  // Unchanged output is not written again: hot reload renders on every change it sees, and a write
  // into a watched folder would be one more.
  if (fc.out && (await readFile(fc.out, 'utf8').catch(() => null)) !== text) {
    await mkdir(dirname(fc.out), { recursive: true });
    await writeFile(fc.out, text, { mode: 0o600 });
    // The mode above applies only to a new file; the rendered config may hold secrets from `env`.
    await chmod(fc.out, 0o600);
  }
  return { text, sources };
}

/**
 * Renders one template text with Go's builtins, sprig's helpers and `marshal` (`audit --format` uses
 * it). SWY_CONFIG_TEMPLATE on error.
 */
export function renderTemplate(
  name: string,
  text: string,
  data: unknown,
  functions: Record<string, TemplateFunction> = {},
): string {
  const templates = new Map<string, Node[]>();
  try {
    parseTemplate(name, text, templates);
    return execute(name, data, {
      templates,
      functions: { ...sprigFunctions({}), ...BUILTINS, marshal: (v) => goJson(v), ...functions },
    });
  } catch (err) {
    if (err instanceof TemplateError) throw templateError(err);
    throw err;
  }
}
