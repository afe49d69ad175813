import { type LuaEngine, LuaFactory, LuaTimeoutError } from 'wasmoon';
import { ClientStatusError } from '../errors/status.js';
import { PRELUDE } from './prelude.lua.js';

/** How long one script phase may run before it is stopped (checked every 1000 Lua instructions). */
export const LUA_TIME_BUDGET_MS = 250;
/** The memory one VM's Lua heap may use; an allocation beyond it fails as "not enough memory". */
export const LUA_MEMORY_BYTES = 32 * 1024 * 1024;

/** What answers a script's calls on `request`, `response`, `ctx`, `luaTable` and `luaList` for one request. */
export interface LuaBridge {
  call(op: string, handle: number, argc: number, a: unknown, b: unknown): unknown;
}

export type LuaLevel = 'proxy' | 'router';

/** One script phase failed; `status` and `contentType` come from `custom_error(msg, status, type)`. */
export class LuaScriptError extends ClientStatusError {
  constructor(
    code: 'SWY_LUA_ERROR' | 'SWY_LUA_BUDGET',
    message: string,
    status: number | null = null,
    contentType = '',
  ) {
    super(code, message, status, contentType);
  }
}

const factory = new LuaFactory();
const MARK = '\u0001swy\u0001';

type Run = (
  id: number,
  phase: string,
  open: boolean,
  level: LuaLevel,
  sources: string,
  code: string,
  keep: boolean,
) => void;

/** Compiles the WebAssembly module now, so that the first script is not charged for it. */
export async function warmLua(): Promise<void> {
  await factory.getLuaModule();
}

/**
 * A Lua 5.4 VM (wasmoon: the reference interpreter compiled to WebAssembly) for one configured namespace.
 * Requests share it but never its globals: each runs in its own environment. Every phase is bounded in
 * time and the heap in size, so a runaway script is stopped and answered as an error.
 */
export class LuaVm {
  private run: Run | null = null;
  private engine: LuaEngine | null = null;
  private readonly starting: Promise<void>;
  private bridge: LuaBridge | null = null;
  private deadline = 0;

  constructor(
    private readonly open: boolean,
    private readonly level: LuaLevel,
    private readonly budgetMs = LUA_TIME_BUDGET_MS,
  ) {
    this.starting = this.start();
    // Start failures surface on the first request; never as an unhandled rejection.
    this.starting.catch(() => {});
  }

  private async start(): Promise<void> {
    const engine = await factory.createEngine({
      traceAllocations: true,
      enableProxy: false,
      functionTimeout: this.budgetMs,
    });
    engine.global.set('__swy_bridge', (op: string, h: number, n: number, a: unknown, b: unknown) => {
      if (op === 'expired') return Date.now() >= this.deadline;
      return (this.bridge as LuaBridge).call(op, h, n, a, b);
    });
    this.run = engine.doStringSync(PRELUDE) as Run;
    engine.global.setMemoryMax(engine.global.getMemoryUsed() + LUA_MEMORY_BYTES);
    this.engine = engine;
  }

  /** Resolves once the VM can run scripts (the first VM compiles the WebAssembly module). */
  ready(): Promise<void> | null {
    return this.run ? null : this.starting;
  }

  /**
   * Runs one phase of request `id`: `pre` (after `sources`, in a new environment, kept for the post when
   * `keep`) or `post` (in the environment of its pre). Synchronous, within the time budget; throws
   * LuaScriptError.
   */
  exec(
    id: number,
    phase: 'pre' | 'post',
    bridge: LuaBridge,
    sources: string,
    code: string,
    keep: boolean,
  ): void {
    const run = this.run as Run;
    this.bridge = bridge;
    this.deadline = Date.now() + this.budgetMs;
    try {
      run(id, phase, this.open, this.level, sources, code, keep);
    } catch (err) {
      this.drop(id);
      throw this.failure(err);
    } finally {
      this.bridge = null;
    }
  }

  /** Forgets a request whose post phase will not run. */
  drop(id: number): void {
    this.run?.(id, 'drop', false, this.level, '', '', false);
  }

  close(): void {
    this.engine?.global.close();
    this.engine = null;
    this.run = null;
  }

  private failure(err: unknown): LuaScriptError {
    if (err instanceof LuaTimeoutError || Date.now() >= this.deadline)
      return new LuaScriptError(
        'SWY_LUA_BUDGET',
        `lua: script exceeded its time budget of ${this.budgetMs}ms`,
      );
    const message = err instanceof Error ? err.message : String(err);
    if (message.endsWith('not enough memory'))
      return new LuaScriptError(
        'SWY_LUA_BUDGET',
        `lua: script exceeded its memory budget of ${LUA_MEMORY_BYTES} bytes`,
      );
    const at = message.indexOf(MARK);
    if (at === -1) return new LuaScriptError('SWY_LUA_ERROR', message);
    // custom_error(msg[, status[, content_type]]): status -1 when only the message was given
    const [code = '', contentType = '', ...rest] = message.slice(at + MARK.length).split('\u0001');
    const status = Number.parseInt(code, 10);
    return new LuaScriptError('SWY_LUA_ERROR', rest.join('\u0001'), status > 0 ? status : null, contentType);
  }
}
