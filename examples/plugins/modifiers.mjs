// plugin/req-resp-modifier examples (one module may export several plugins):
// - "require-header" (request): refuses a request without a header, with its own status and JSON body;
//   otherwise tells the backend who passed it. Settings: { "header": "X-Tenant", "status": 401 }.
// - "add-fields" (response): adds fields to the data. Settings: { "fields": { "source": "gateway" } }.
import { definePlugin, PluginResponseError } from '@switchyard/gateway';

export default [
  definePlugin({
    type: 'request-modifier',
    name: 'require-header',
    create({ config }) {
      const { header = 'X-Tenant', status = 401 } = /** @type {{header?: string, status?: number}} */ (
        config ?? {}
      );
      return (req) => {
        const value = req.headers.get(header);
        if (!value) {
          const body = JSON.stringify({ error: `${header} is required` });
          throw new PluginResponseError(status, body, 'application/json');
        }
        req.headers.set('X-Checked-Tenant', value);
        return req;
      };
    },
  }),
  definePlugin({
    type: 'response-modifier',
    name: 'add-fields',
    create({ config }) {
      const fields = /** @type {{fields?: Record<string, unknown>} | undefined} */ (config)?.fields;
      // No fields: nothing to do, the plugin is left out.
      if (!fields) return null;
      return (res) => {
        Object.assign(res.data, fields);
        return res;
      };
    },
  }),
];
