export * from './event-proxy/schema.js';
export * from './gateway/namespaces.js';
export * from './gateway/schema.js';
