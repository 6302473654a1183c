import { trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../../dev/microsoft/simulator';
import { GraphCalendarSide } from '../../../../shared/microsoft/calendar-side';
import { createGraphClient } from '../../../../shared/microsoft/graph-client';
import {
  USER,
  NOW,
  ev,
  create,
  upserts,
  deletes,
  graphCalendarSide,
} from '../../../support/graph-calendar-side';

describe('Microsoft calendar side against the Graph simulator', () => {
  let sim: MicrosoftSimulator;
  let sleeps: number[];
  let now: number;
  const side = () =>
    graphCalendarSide(
      sim,
      () => new Date(now),
      () => sleeps,
    );
  const store = () => sim.calendar(USER);

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
  });
  beforeEach(() => {
    sleeps = [];
    now = NOW;
    for (const e of store().all()) {
      store().remove(e.id);
    }
    store().resetMessages();
  });
  afterAll(() => sim.close());

  it('waits out 429s inside a batch, Retry-After in fractional seconds, retrying only the throttled steps', async () => {
    const s = side();
    sim.throttleNext(2, 0.25);
    const results = await s.write([
      create(ev({ title: 'a' }), 'T-a'),
      create(ev({ title: 'b' }), 'T-b'),
      create(ev({ title: 'c' }), 'T-c'),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(sleeps).toEqual([250]);
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
    sim.failNext(501, 'notSupported');
    const [notImplemented] = await s.write([create(ev({ title: 'never' }), 'E-501')]);
    expect(notImplemented).toMatchObject({ ok: false, kind: 'permanent', retryable: false, status: 501 });
    sim.failNext(503, 'serviceNotAvailable', 5);
    const [unavailable] = await s.write([create(ev({ title: 'later' }), 'E-503')]);
    expect(unavailable).toMatchObject({ ok: false, kind: 'retryable', retryable: true, status: 503 });
    sim.failNext(501, 'notSupported');
    await expect(s.read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      kind: 'permanent',
      retryable: false,
      status: 501,
    });
    const refusedToken = new GraphCalendarSide(
      createGraphClient(sim.graphUrl, () => Promise.resolve('not-a-token')),
      { now: () => new Date(now) },
    );
    await expect(refusedToken.read(undefined, new Set())).rejects.toMatchObject({
      kind: 'auth',
      retryable: false,
      status: 401,
    });
  });
});
