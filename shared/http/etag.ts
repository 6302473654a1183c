import { createHash } from 'node:crypto';

/**
 * Table Storage ETags look like W/"datetime'2026-…'": weak and full of characters a
 * portal may mangle. We hand out a strong, opaque ETag that carries the storage ETag
 * inside, so a client can echo it in If-Match and we can pass the original on.
 */
export function toHttpEtag(storageEtag: string): string {
  return `"${Buffer.from(storageEtag, 'utf8').toString('base64url')}"`;
}

/** An ETag for a read composed from several rows (it changes whenever any of them does). */
export function compositeEtag(storageEtags: readonly string[]): string {
  return `"c.${createHash('sha256').update(storageEtags.join('\n')).digest('base64url').slice(0, 27)}"`;
}

/** A parsed If-Match / If-None-Match header: any current version, or a list of storage ETags. */
export type EtagCondition = '*' | readonly string[];

export function parseEtagCondition(header: string | null | undefined): EtagCondition | undefined {
  if (header === null || header === undefined || header.trim() === '') {
    return undefined;
  }
  if (header.trim() === '*') {
    return '*';
  }
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .filter((tag) => /^"[A-Za-z0-9_-]*"$/.test(tag))
    .map((tag) => Buffer.from(tag.slice(1, -1), 'base64url').toString('utf8'));
}

export function etagMatches(condition: EtagCondition, storageEtag: string | undefined): boolean {
  if (storageEtag === undefined) {
    return false;
  }
  return condition === '*' || condition.includes(storageEtag);
}
