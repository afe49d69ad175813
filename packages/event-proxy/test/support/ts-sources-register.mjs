// `node --import` this file to run the TypeScript sources directly (see ts-sources-hooks.mjs).
import { register } from 'node:module';

register('./ts-sources-hooks.mjs', import.meta.url);
