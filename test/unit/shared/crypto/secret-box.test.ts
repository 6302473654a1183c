import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../../shared/crypto/secret-box';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('round-trips and hides the plaintext', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('s3cret-value', 'ctx');
    expect(JSON.stringify(sealed)).not.toContain('s3cret');
    expect(sealed.kid).toBe('k1');
    expect(box.open(sealed, 'ctx')).toBe('s3cret-value');
  });

  it('uses a fresh IV each time', () => {
    const box = new SecretBox([k1]);
    const [a, b] = [box.seal('same', 'ctx'), box.seal('same', 'ctx')];
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it('refuses a ciphertext moved to another context', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('x', 'settings/global/global/oro.clientSecret');
    expect(() => box.open(sealed, 'settings/organization/acme/oro.clientSecret')).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('hello', 'ctx');
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(() => box.open({ ...sealed, ct: ct.toString('base64') }, 'ctx')).toThrow();
  });

  it('rotates: the new first key seals, old keys still open, and old values are flagged', () => {
    const old = new SecretBox([k1]).seal('kept', 'ctx');
    const rotated = new SecretBox([k2, k1]);
    expect(rotated.open(old, 'ctx')).toBe('kept');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.seal('new', 'ctx').kid).toBe('k2');
  });

  it('names a missing key id instead of failing obscurely', () => {
    const sealed = new SecretBox([k1]).seal('x', 'ctx');
    expect(() => new SecretBox([k2]).open(sealed, 'ctx')).toThrow('No decryption key with id "k1"');
  });
});
