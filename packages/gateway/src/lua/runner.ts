import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@switchyard/shared';
import type { LuaFailure, LuaJob, LuaOutcome, ProxyState, RouterState } from './protocol.js';
import { LUA_TIME_BUDGET_MS, type LuaLevel, LuaScriptError } from './vm.js';

/** The Lua thread's JavaScript heap (the bridges' copies of requests and responses a script makes). */
const HEAP_MB = 128;
/** Phases waiting at most: past it a request is refused at once instead of queueing without bound. */
export const LUA_QUEUE_MAX = 1000;

/** The worker's entry: the built file next to this one (under vitest this module runs from src). */
function entryUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace('/src/lua/', '/dist/lua/'));
}

interface Pending {
  job: LuaJob;
  resolve: (o: LuaOutcome) => void;
}

const failed = (id: number, code: LuaFailure['code'], message: string): LuaOutcome => ({
  id,
  failure: { code, message, status: null, contentType: '' },
});

/**
 * Runs every Lua script of the gateway on one worker thread, a phase at a time in arrival order. In the
 * thread each VM stops a script at its time budget and heap limit; a phase that still has not answered
 * after twice the budget (stuck where the VM's instruction hook never runs, such as a backtracking
 * `string.find`), or that exhausts the thread's heap, terminates the thread: that phase fails, the VMs
 * are made again, and the phases that were waiting go on. Only gateways with Lua start it.
 */
export class LuaRunner {
  private worker: Worker | null = null;
  private ready = false;
  private readonly queue: Pending[] = [];
  private running: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private nextScript = 1;
  private nextRequest = 1;
  /** Scripts by key, until a reload replaced them and their last request is done. */
  private readonly scripts = new Map<number, LuaScript>();

  constructor(
    private readonly logger: Logger,
    private readonly watchdogMs = 2 * LUA_TIME_BUDGET_MS,
    private readonly maxQueue = LUA_QUEUE_MAX,
  ) {}

  /** A configured namespace's script: its own VM on the Lua thread. */
  script(open: boolean, level: LuaLevel): LuaScript {
    // Started with the routes, so the first request does not wait for the thread and its WebAssembly.
    this.spawn();
    const script = new LuaScript(this, this.nextScript++, open, level);
    this.scripts.set(script.key, script);
    return script;
  }

  /** A client request's id, unique among the scripts of this runner. */
  request(): number {
    this.nextRequest = (this.nextRequest % Number.MAX_SAFE_INTEGER) + 1;
    return this.nextRequest;
  }

  run(job: Omit<LuaJob, 'id'>): Promise<LuaOutcome> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      if (this.queue.length >= this.maxQueue) {
        resolve(
          failed(id, 'SWY_LUA_BUDGET', `lua: ${this.queue.length} script phases wait; this one is refused`),
        );
        return;
      }
      this.queue.push({ job: { ...job, id }, resolve });
      this.pump();
    });
  }

  /**
   * Closes the VMs of scripts a reload replaced, each once its requests between pre and post are done (their
   * post runs in the environment of their pre).
   */
  forget(keys: number[]): void {
    for (const key of keys) {
      const script = this.scripts.get(key);
      this.scripts.delete(key);
      script?.retire();
    }
  }

  /** Closes the VM of a retired script (a phase still to come for it makes its VM again). */
  release(key: number): void {
    this.worker?.postMessage({ forget: [key] });
  }

  close(): void {
    this.disarm();
    const w = this.worker;
    this.worker = null;
    this.running = null;
    void w?.terminate();
    for (const p of this.queue.splice(0))
      p.resolve(failed(p.job.id, 'SWY_LUA_ERROR', 'lua: the gateway is closing'));
  }

  private pump(): void {
    const head = this.queue[0];
    if (!head || this.running) return;
    const w = this.spawn();
    if (!this.ready) return;
    this.running = head;
    try {
      w.postMessage(head.job);
    } catch (err) {
      // State that cannot be cloned (a response holding something JSON never gives): this phase fails.
      this.finish(failed(head.job.id, 'SWY_LUA_ERROR', `lua: ${(err as Error).message}`));
      return;
    }
    this.timer = setTimeout(
      () => this.lost(w, `lua: script exceeded its time budget of ${LUA_TIME_BUDGET_MS}ms`),
      this.watchdogMs,
    );
    this.timer.unref();
  }

  private spawn(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(entryUrl(), {
      name: 'switchyard-lua',
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 16 },
    });
    w.unref();
    w.on('message', (m: LuaOutcome | 'ready') => {
      if (m !== 'ready') {
        if (this.running?.job.id === m.id) this.finish(m);
        return;
      }
      this.ready = true;
      this.pump();
    });
    w.on('error', (err) => this.lost(w, `lua: the script thread failed (${err.message})`));
    w.on('exit', (code) => this.lost(w, `lua: the script thread exited (${code})`));
    this.worker = w;
    this.ready = false;
    return w;
  }

  private finish(outcome: LuaOutcome): void {
    const head = this.queue.shift() as Pending;
    this.running = null;
    this.disarm();
    head.resolve(outcome);
    this.pump();
  }

  /** The running phase hung or broke the thread: it fails, a new thread takes the phases that wait. */
  private lost(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    const started = this.ready;
    this.worker = null;
    this.ready = false;
    this.disarm();
    void w.terminate();
    if (!started) {
      // A thread that cannot start would fail again at once: the phases waiting fail, the next one retries.
      for (const p of this.queue.splice(0)) p.resolve(failed(p.job.id, 'SWY_LUA_ERROR', reason));
      return;
    }
    const head = this.running;
    this.running = null;
    // The next thread starts now, not with the next phase.
    this.spawn();
    if (head) {
      this.logger.warn({ reason }, 'a Lua script was stopped');
      this.queue.shift();
      head.resolve(failed(head.job.id, 'SWY_LUA_BUDGET', reason));
    }
    this.pump();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** One configured `modifier/lua-*` namespace: runs its phases on the Lua thread. */
export class LuaScript {
  /** Requests whose pre ran and whose post is still to come (their environment is kept). */
  private readonly pending = new Set<number>();
  private retired = false;

  constructor(
    private readonly runner: LuaRunner,
    readonly key: number,
    private readonly open: boolean,
    private readonly level: LuaLevel,
  ) {}

  request(): number {
    return this.runner.request();
  }

  /** Runs a phase; resolves to the state as the script left it, or throws its LuaScriptError. */
  async exec<S extends ProxyState | RouterState>(
    request: number,
    phase: 'pre' | 'post',
    keep: boolean,
    sources: string,
    code: string,
    state: S,
  ): Promise<S> {
    const o = await this.runner.run({
      script: this.key,
      open: this.open,
      level: this.level,
      request,
      phase,
      keep,
      sources,
      code,
      state,
    });
    if (phase === 'pre' && keep && !o.failure) this.pending.add(request);
    else this.done(request);
    if (o.failure) {
      const f = o.failure;
      throw new LuaScriptError(f.code, f.message, f.status, f.contentType);
    }
    return o.state as S;
  }

  /** A reload replaced this script: its VM is closed once no request waits for its post. */
  retire(): void {
    this.retired = true;
    if (this.pending.size === 0) this.runner.release(this.key);
  }

  private done(request: number): void {
    this.pending.delete(request);
    if (this.retired && this.pending.size === 0) this.runner.release(this.key);
  }

  /** Forgets a request whose post will not run. */
  drop(request: number): void {
    this.done(request);
    void this.runner.run({
      script: this.key,
      open: this.open,
      level: this.level,
      request,
      phase: 'drop',
      keep: false,
      sources: '',
      code: '',
      state: null,
    });
  }
}
