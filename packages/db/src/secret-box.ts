import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;

/**
 * Encrypts secrets at rest (session environment variables, webhook secrets) with AES-256-GCM.
 * The layout is version(1) | iv(12) | tag(16) | ciphertext, so the key scheme can change later.
 */
export class SecretBox {
  private readonly key: Buffer;

  /** @param secret any string of at least 32 chars; the key is its SHA-256. */
  constructor(secret: string) {
    if (secret.length < 32) throw new Error('the encryption secret must be at least 32 characters');
    this.key = createHash('sha256').update(secret).digest();
  }

  /** Encrypts a JSON-serialisable value. */
  seal(value: unknown): Uint8Array<ArrayBuffer> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    // A plain Uint8Array over its own ArrayBuffer is what Prisma's Bytes columns take.
    return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]));
  }

  /** Decrypts what seal() produced; throws when the data was tampered with or the key differs. */
  open<T = unknown>(sealed: Uint8Array): T {
    const buf = Buffer.from(sealed);
    if (buf[0] !== VERSION) throw new Error(`unknown secret box version ${buf[0]}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(1, 13));
    decipher.setAuthTag(buf.subarray(13, 29));
    const plain = Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as T;
  }
}
