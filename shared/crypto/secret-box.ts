import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKey } from '../config/config';

/**
 * AES-256-GCM envelope for secrets at rest. The key id travels with the ciphertext so
 * old values stay readable after a new key is put first. `context` is bound as
 * additional authenticated data, so a ciphertext copied to another row or field fails
 * to decrypt instead of silently becoming that row's secret.
 */
export interface SealedSecret {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export class SecretBox {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(private readonly keys: readonly [SecretKey, ...SecretKey[]]) {
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get activeKeyId(): string {
    return this.keys[0].id;
  }

  seal(plaintext: string, context: string): SealedSecret {
    const active = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', active.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: 1,
      kid: active.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  }

  open(sealed: SealedSecret, context: string): string {
    const key = this.byId.get(sealed.kid);
    if (!key) {
      throw new Error(`No decryption key with id "${sealed.kid}" is configured`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** True when the value was sealed with an older key and should be re-sealed on next write. */
  needsRotation(sealed: SealedSecret): boolean {
    return sealed.kid !== this.activeKeyId;
  }
}
