import { spawn } from 'node:child_process';

/**
 * Starts `node <args>` and resolves with its port once its stdout says so (`LISTENING <port>` or the
 * gateway's `ready` log line [gateway listening]). Bounded by `timeoutMs`.
 */
export function startPeer(name, args, { env = {}, timeoutMs = 120_000, ready = 'gateway listening' } = {}) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs}ms`));
    }, timeoutMs);
    const onData = (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n')) {
        const plain = /^LISTENING (\d+)$/.exec(line.trim());
        let port = plain ? Number(plain[1]) : undefined;
        if (!port && line.startsWith('{')) {
          try {
            const entry = JSON.parse(line);
            if (entry.msg === ready) port = entry.port;
          } catch {}
        }
        if (port) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.resume();
          resolve({
            name,
            port,
            pid: child.pid,
            stop: () =>
              new Promise((done) => {
                if (child.exitCode !== null) return done();
                child.once('exit', () => done());
                child.kill('SIGTERM');
                setTimeout(() => child.kill('SIGKILL'), 5000).unref();
              }),
          });
          return;
        }
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening`));
    });
  });
}
