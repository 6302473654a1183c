import { GraphCalendarSide } from '../../../../shared/microsoft/calendar-side';
import { createGraphClient } from '../../../../shared/microsoft/graph-client';
import { ev, create, upserts, deletes, useGraphCalendar } from '../../../support/graph-calendar-side';

describe('Microsoft calendar side against the Graph simulator', () => {
  const t = useGraphCalendar();
  const { store, side } = t;

  it('waits out 429s inside a batch, Retry-After in fractional seconds, retrying only the throttled steps', async () => {
    const s = side();
    t.sim.throttleNext(2, 0.25);
    const results = await s.write([
      create(ev({ title: 'a' }), 'T-a'),
      create(ev({ title: 'b' }), 'T-b'),
      create(ev({ title: 'c' }), 'T-c'),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(t.sleeps).toEqual([250]);
    expect(
      store()
        .all()
        .map((e) => e.subject)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(s.requests).toBe(2);
  });

  it.each([
    [410, 'syncStateNotFound'],
    [400, 'syncStateNotFound'],
    [404, 'syncStateNotFound'],
    [400, 'resyncRequired'],
    [400, 'syncStateInvalid'],
  ] as const)(
    'drops a delta token Graph answers %d %s for, and reads the window again',
    async (status, code) => {
      const s = side();
      const [made] = await s.write([
        create(ev({ title: `expired ${status} ${code}` }), `X-${status}-${code}`),
      ]);
      const id = made?.ok ? made.id : '';
      const first = await s.read(undefined, new Set([id]));
      store().expireDeltaTokens({ status, code });
      const next = await s.read(first.cursor, new Set([id]));
      expect(next.full).toBe(true);
      expect(upserts(next.changes).map((u) => u.id)).toContain(id);
      expect(deletes(next.changes)).toEqual([]);
      // The bad token is gone from the cursor: the next read continues from the new one.
      const token = (c: string) => (JSON.parse(c) as { deltaLink?: string }).deltaLink;
      expect(token(next.cursor)).toBeDefined();
      expect(token(next.cursor)).not.toBe(token(first.cursor));
      await expect(s.read(next.cursor, new Set([id]))).resolves.toMatchObject({ full: false, changes: [] });
    },
  );

  it('classifies what Graph refuses: 501 is permanent, a 503 that outlasts the retries is retryable, 401 is auth', async () => {
    const s = side();
    t.sim.failNext(501, 'notSupported');
    const [notImplemented] = await s.write([create(ev({ title: 'never' }), 'E-501')]);
    expect(notImplemented).toMatchObject({ ok: false, kind: 'permanent', retryable: false, status: 501 });
    t.sim.failNext(503, 'serviceNotAvailable', 5);
    const [unavailable] = await s.write([create(ev({ title: 'later' }), 'E-503')]);
    expect(unavailable).toMatchObject({ ok: false, kind: 'retryable', retryable: true, status: 503 });
    t.sim.failNext(501, 'notSupported');
    await expect(s.read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      kind: 'permanent',
      retryable: false,
      status: 501,
    });
    const refusedToken = new GraphCalendarSide(
      createGraphClient(t.sim.graphUrl, () => Promise.resolve('not-a-token')),
      { now: () => new Date(t.now) },
    );
    await expect(refusedToken.read(undefined, new Set())).rejects.toMatchObject({
      kind: 'auth',
      retryable: false,
      status: 401,
    });
  });
});
