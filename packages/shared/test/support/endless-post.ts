import { connect, type Socket } from 'node:net';

/**
 * Sends a POST whose chunked body never ends to `port`; resolves with the answer's status line and the
 * body bytes the listener took, once it closed the connection.
 */
export function endlessPost(port: number, path: string): Promise<{ status: string; sent: number }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let sent = 0;
    let answer = '';
    let stop = false;
    const pump = () => {
      while (!stop && sent < 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) return;
      }
    };
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
      pump();
    });
    socket.on('drain', pump);
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      stop = true;
      resolve({ status: answer.split('\r\n', 1)[0] as string, sent });
    });
  });
}
