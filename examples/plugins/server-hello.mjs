// plugin/http-server example: answers one path itself and marks every other answer with a header.
// Settings (under its name in the root's "plugin/http-server"): { "path": "/__hello", "message": "hi" }.
import { definePlugin } from '@switchyard/gateway';

export default definePlugin({
  type: 'http-server',
  name: 'hello-server',
  create({ config }, next) {
    const { path = '/__hello', message = 'hello' } = /** @type {{path?: string, message?: string}} */ (
      config ?? {}
    );
    return (req, res) => {
      if (req.url === path) {
        const body = JSON.stringify({ message });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      res.setHeader('X-Hello-Server', 'passed');
      next(req, res);
    };
  },
});
