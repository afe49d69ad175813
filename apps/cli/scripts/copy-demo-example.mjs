#!/usr/bin/env node
// The demo runs examples/aggregation.json; the packed CLI cannot reach the repository's examples/, so
// the build puts a copy in dist/examples/, which ships with the package (src/demo/config.ts finds it).
import { copyFileSync, mkdirSync } from 'node:fs';

const from = new URL('../../../examples/aggregation.json', import.meta.url);
const dir = new URL('../dist/examples/', import.meta.url);
mkdirSync(dir, { recursive: true });
copyFileSync(from, new URL('aggregation.json', dir));
