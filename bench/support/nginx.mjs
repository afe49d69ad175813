import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const answers = (port) =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * nginx as the reference reverse proxy: one worker process (the comparison), keep-alive connections
 * to `upstream` (as the gateway keeps them), no access log; in foreground, its files under `dir`. Resolves
 * as startPeer does once it accepts connections.
 */
export async function startNginx(nginx, dir, upstream) {
  const home = join(dir, 'nginx');
  await mkdir(home, { recursive: true });
  // nginx's worker runs as nobody when started by root: it must reach its temp folders here.
  await chmod(dir, 0o755);
  await chmod(home, 0o755);
  const port = await freePort();
  const conf = join(home, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(home, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(home, 'body')};
  proxy_temp_path ${join(home, 'proxy')};
  fastcgi_temp_path ${join(home, 'fastcgi')};
  uwsgi_temp_path ${join(home, 'uwsgi')};
  scgi_temp_path ${join(home, 'scgi')};
  upstream backend { server ${new URL(upstream).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = spawn(nginx, ['-p', home, '-c', conf], { stdio: ['ignore', 'inherit', 'inherit'] });
  const end = Date.now() + 15_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode} before listening`);
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error('nginx did not start within 15000ms');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: 'nginx',
    port,
    pid: child.pid,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGQUIT');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
