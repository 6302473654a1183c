import { compositeEtag, etagMatches, parseEtagCondition, toHttpEtag } from '../../../../shared/http/etag';

describe('ETags', () => {
  const storage = `W/"datetime'2026-11-23T18%3A15%3A22.9778597Z'"`;

  it('hands out a strong opaque ETag that parses back to the storage ETag', () => {
    const http = toHttpEtag(storage);
    expect(http).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(parseEtagCondition(http)).toEqual([storage]);
    expect(parseEtagCondition(`W/${http}`)).toEqual([storage]);
  });

  it('understands *, lists, and nothing', () => {
    expect(parseEtagCondition('*')).toBe('*');
    expect(parseEtagCondition(`"x", ${toHttpEtag(storage)}`)).toContain(storage);
    expect(parseEtagCondition(undefined)).toBeUndefined();
    expect(parseEtagCondition('  ')).toBeUndefined();
  });

  it('lets a malformed If-Match match nothing', () => {
    const condition = parseEtagCondition('garbage');
    expect(condition).toEqual([]);
    expect(etagMatches(condition ?? [], storage)).toBe(false);
  });

  it('never matches an absent resource, not even *', () => {
    expect(etagMatches('*', undefined)).toBe(false);
    expect(etagMatches('*', storage)).toBe(true);
  });

  it('changes a composite ETag when any part changes', () => {
    expect(compositeEtag(['a', 'b'])).not.toBe(compositeEtag(['a', 'c']));
    expect(compositeEtag(['a', 'b'])).toBe(compositeEtag(['a', 'b']));
  });
});
