export {
  DiskSpool,
  type DiskSpoolOptions,
  type SpoolFsync,
  type SpoolFullPolicy,
  type SpoolStats,
} from './disk-spool.js';
