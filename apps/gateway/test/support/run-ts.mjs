// Runs a TypeScript entry point of this monorepo as a child process without a build, the way
// jest runs the tests: swc compiles each .ts file as it is required (with the decorator metadata
// NestJS needs, using jest.base.js's own options), and workspace packages resolve to their
// sources when node runs with --conditions=@stratus/source.
// Usage: node --conditions=@stratus/source run-ts.mjs <entry.ts>
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const Module = require('node:module');
const swc = require('@swc/core');
const jestConfig = require('../../../../jest.base.js')(path.resolve(import.meta.dirname, '../..'));
const swcOptions = jestConfig.transform['^.+\\.ts$'][1];

Module._extensions['.ts'] = function compile(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};

// Sources written for Node's ESM-style resolution (the generated Prisma client) import './x.js' meaning './x.ts'.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  try {
    return resolveFilename.call(this, request, ...rest);
  } catch (error) {
    if (!request.startsWith('.') || !request.endsWith('.js')) throw error;
    return resolveFilename.call(this, `${request.slice(0, -3)}.ts`, ...rest);
  }
};

require(path.resolve(process.argv[2]));
