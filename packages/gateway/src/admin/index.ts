export { type ListenAddress, parseListenAddress } from './listen-address.js';
export { ADMIN_DEFAULTS, type AdminServer, type AdminServerOptions, createAdminServer } from './server.js';
