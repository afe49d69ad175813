// plugin/http-client example: calls the backend itself (fetch), adding the headers of its settings,
// e.g. an API key the clients never see. Settings (under its name in the backend's "plugin/http-client"):
// { "headers": { "X-Api-Key": "secret" } }.
import { definePlugin } from '@switchyard/gateway';

export default definePlugin({
  type: 'http-client',
  name: 'client-headers',
  create({ config }) {
    const extra = /** @type {{headers?: Record<string, string>} | undefined} */ (config)?.headers ?? {};
    return (request) => {
      const headers = new Headers(request.headers);
      for (const [name, value] of Object.entries(extra)) headers.set(name, value);
      return fetch(new Request(request, { headers }));
    };
  },
});
