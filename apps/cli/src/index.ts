export type { Command, CommandIO } from './command.js';
export type { GatewayArgs } from './commands/gateway.js';
export { startDemoBackends } from './demo/backends.js';
export { main } from './main.js';
export { HubSource, type HubSourceOptions } from './wiring/hub-source.js';
export { type InProcessProxy, type RunExtras, type RunningSwitchyard, startRun } from './wiring/run.js';
