export type { Command, CommandIO } from './command.js';
export { main } from './main.js';
