import { parentPort } from 'node:worker_threads';
import {
  asBuffer,
  type LuaForget,
  type LuaJob,
  type LuaOutcome,
  type ProxyState,
  type RouterState,
} from './protocol.js';
import { ProxyBridge } from './proxy-bridge.js';
import { RouterBridge } from './router-bridge.js';
import { LuaScriptError, LuaVm, warmLua } from './vm.js';

// The Lua thread: every script runs here, so one that hangs where the VM's time budget cannot reach (a
// Lua pattern that backtracks inside the C matcher) is stopped by the gateway's thread terminating this one.

const vms = new Map<number, LuaVm>();

function vmOf(job: LuaJob): LuaVm {
  let vm = vms.get(job.script);
  if (!vm) {
    vm = new LuaVm(job.open, job.level);
    vms.set(job.script, vm);
  }
  return vm;
}

function failure(id: number, err: unknown): LuaOutcome {
  const e = err instanceof LuaScriptError ? err : new LuaScriptError('SWY_LUA_ERROR', (err as Error).message);
  const code = e.code === 'SWY_LUA_BUDGET' ? 'SWY_LUA_BUDGET' : 'SWY_LUA_ERROR';
  return {
    id,
    failure: { code, message: e.message, status: e.clientStatus, contentType: e.contentType ?? '' },
  };
}

function exec(vm: LuaVm, job: LuaJob): LuaOutcome {
  const phase = job.phase as 'pre' | 'post';
  if (job.level === 'router') {
    const s = job.state as RouterState;
    s.view.body = asBuffer(s.view.body);
    vm.exec(job.request, phase, new RouterBridge(s.method, s.view, s.names), job.sources, job.code, false);
    return { id: job.id, state: s };
  }
  const s = job.state as ProxyState;
  s.request.body = asBuffer(s.request.body);
  const bridge = new ProxyBridge(s.request, s.names);
  if (s.response) {
    bridge.response = s.response;
    bridge.meta.headers = s.response.headers ?? {};
  }
  vm.exec(job.request, phase, bridge, job.sources, job.code, job.keep);
  if (s.response && Object.keys(bridge.meta.headers).length > 0) s.response.headers = bridge.meta.headers;
  return { id: job.id, state: s };
}

async function run(job: LuaJob): Promise<LuaOutcome> {
  // A VM already closed has nothing to forget: it is not made again for that.
  if (job.phase === 'drop' && !vms.has(job.script)) return { id: job.id, state: null };
  const vm = vmOf(job);
  try {
    const ready = vm.ready();
    if (ready) await ready;
    if (job.phase === 'drop') {
      vm.drop(job.request);
      return { id: job.id, state: null };
    }
    return exec(vm, job);
  } catch (err) {
    return failure(job.id, err);
  }
}

parentPort?.on('message', (m: LuaJob | LuaForget) => {
  if ('forget' in m) {
    for (const key of m.forget) {
      vms.get(key)?.close();
      vms.delete(key);
    }
    return;
  }
  void run(m).then((outcome) => parentPort?.postMessage(outcome));
});
// Jobs are timed from here on: compiling the WebAssembly module is not a script's time.
void warmLua().then(() => parentPort?.postMessage('ready'));
