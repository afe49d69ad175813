// Plugins that fail in every way a plugin can while serving: the gateway must answer and keep serving.
const never = () => new Promise(() => {});

export default [
  {
    type: 'request-modifier',
    name: 'throws',
    create: () => () => {
      throw new Error('boom');
    },
  },
  { type: 'request-modifier', name: 'hangs', create: () => () => never() },
  {
    type: 'request-modifier',
    name: 'rejects-status',
    create: () => async () => {
      throw Object.assign(new Error('teapot'), { statusCode: 418 });
    },
  },
  { type: 'response-modifier', name: 'bad-result', create: () => () => 42 },
  {
    type: 'request-modifier',
    name: 'create-throws',
    create: () => {
      throw new Error('bad settings');
    },
  },
  {
    type: 'http-client',
    name: 'client-throws',
    create: () => async () => {
      throw new Error('client boom');
    },
  },
  { type: 'http-client', name: 'client-hangs', create: () => () => never() },
  {
    type: 'http-client',
    name: 'client-status',
    create: () => async () =>
      new Response('{"nope":true}', { status: 404, headers: { 'Content-Type': 'application/json' } }),
  },
  {
    type: 'http-client',
    name: 'client-json',
    create:
      ({ config }) =>
      async (req) =>
        Response.json({ url: req.url, method: req.method, config }),
  },
  {
    type: 'http-server',
    name: 'server-throws',
    create: (_ctx, next) => (req, res) => {
      if (req.url.startsWith('/__throw')) throw new Error('server boom');
      next(req, res);
    },
  },
  {
    type: 'http-server',
    name: 'server-rejects',
    create: (_ctx, next) => async (req, res) => {
      if (req.url === '/__reject') throw new Error('async boom');
      next(req, res);
    },
  },
  {
    type: 'http-server',
    name: 'server-hangs',
    create: (_ctx, next) => (req, res) => {
      if (!req.url.startsWith('/__hang')) next(req, res);
    },
  },
];
