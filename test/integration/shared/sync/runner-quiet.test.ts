import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import type { SyncSettings } from '../../../../shared/sync/model';
import type { NotificationWatch } from '../../../../shared/sync/quiet';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../../../support/sync-harness';

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
const SAFETY_MS = 6 * 3600_000;

/**
 * A scheduled run whose Graph subscription is live and has notified nothing since the last
 * Microsoft read reads Oro only (shared/sync/quiet.ts). The subscription's notification count
 * is what the queue function reads before the run; here the test plays the webhook and counts.
 */
describe('runner: a quiet Graph subscription stands in for the Microsoft read', () => {
  let h: SyncHarness;
  let notified = 0;
  // Oro's clock moves with the run clock: its last seconds settle between runs, as they would.
  let shift = 0;
  const advance = (ms: number) => {
    shift += ms;
    h.advance(ms);
  };
  const watch = (trust: boolean, subscriptionId = 'sub-1'): NotificationWatch => ({
    mark: { subscriptionId, notified },
    trust,
    pollSafetyMs: SAFETY_MS,
  });
  const state = async () => (await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks'))!.state;
  const msTitles = () =>
    h.microsoft
      .todo(MS_USER)
      .all()
      .map((t) => t.title)
      .sort();

  beforeAll(async () => {
    h = await startSyncHarness(ORO_OWNER, { oroClock: () => Date.now() + shift });
    h.oro.createTask(ORO_OWNER, { subject: 'Call Acme' });
    h.microsoft.todo(MS_USER).create({ title: 'Book flight' });
    // A run queued by the user reads both sides and records what the subscription had said.
    const first = await h.run(BI, undefined, { notifications: watch(false) });
    expect(first).toMatchObject({ status: 'ok', result: { created: 2 } });
    // Our own To Do create is notified, as Graph does: its run reads it back.
    notified++;
    await h.run(BI, undefined, { notifications: watch(false) });
    // Oro's last seconds are read once more after they settle; from then on Oro is idle too.
    advance(60_000);
    await h.run(BI, undefined, { notifications: watch(false) });
  });
  afterAll(() => h.close());

  it('an idle scheduled run with a quiet subscription: 0 Graph requests, 1 Oro request, cursor kept', async () => {
    const before = await state();
    const report = await h.run(BI, undefined, { notifications: watch(true) });
    expect(report).toMatchObject({ status: 'ok', microsoftSkipped: true });
    expect(report.requests).toEqual({ oro: 1, microsoft: 0 });
    const after = await state();
    expect(after.cursors.microsoft).toBe(before.cursors.microsoft);
    expect(after.microsoftMark).toEqual(before.microsoftMark);
  });

  it('a run queued by a notification, by the user or as a retry reads Graph even when quiet', async () => {
    const report = await h.run(BI, undefined, { notifications: watch(false) });
    expect(report.microsoftSkipped).toBeUndefined();
    expect(report.requests.microsoft).toBeGreaterThan(0);
  });

  it('a change notified since the last read is read by the next scheduled run', async () => {
    h.microsoft.todo(MS_USER).create({ title: 'Renew passport' });
    notified++;
    const report = await h.run(BI, undefined, { notifications: watch(true) });
    expect(report).toMatchObject({ status: 'ok', result: { created: 1 } });
    expect(report.microsoftSkipped).toBeUndefined();
    expect(h.oro.tasks(ORO_OWNER).map((t) => t.subject)).toContain('Renew passport');
  });

  it('a notification that arrives during a run is not recorded as quiet: the next scheduled run reads it', async () => {
    // The run reads the subscription's count, then Graph; the change and its notification
    // come after the Microsoft read and before the run ends.
    const report = await h.run(BI, undefined, {
      notifications: watch(false),
      during: (point) => {
        if (point === 'after-read') {
          h.microsoft.todo(MS_USER).create({ title: 'Late change' });
          notified++;
        }
      },
    });
    expect(report.status).toBe('ok');
    expect(h.oro.tasks(ORO_OWNER).map((t) => t.subject)).not.toContain('Late change');
    const next = await h.run(BI, undefined, { notifications: watch(true) });
    expect(next.microsoftSkipped).toBeUndefined();
    expect(h.oro.tasks(ORO_OWNER).map((t) => t.subject)).toContain('Late change');
    // Our create in Oro is read back once (Oro's last seconds), then the run is quiet again.
    advance(60_000);
    await h.run(BI, undefined, { notifications: watch(true) });
    const quiet = await h.run(BI, undefined, { notifications: watch(true) });
    expect(quiet).toMatchObject({ microsoftSkipped: true, requests: { microsoft: 0 } });
  });

  it('an Oro change makes a quiet run read Graph too, so the write meets Microsoft as it is', async () => {
    advance(60_000);
    const acme = h.oro.tasks(ORO_OWNER).find((t) => t.subject === 'Call Acme')!;
    h.oro.editTask(acme.id, { subject: 'Call Acme today' });
    const report = await h.run(BI, undefined, { notifications: watch(true) });
    expect(report).toMatchObject({ status: 'ok', result: { updated: 1 } });
    expect(report.microsoftSkipped).toBeUndefined();
    expect(msTitles()).toContain('Call Acme today');
  });

  it('another subscription (re-created) or none vouches for nothing', async () => {
    notified++; // the echo of the update above
    await h.run(BI, undefined, { notifications: watch(false) });
    advance(60_000);
    const other = await h.run(BI, undefined, { notifications: watch(true, 'sub-2') });
    expect(other.microsoftSkipped).toBeUndefined();
    const none = await h.run(BI, undefined, {
      notifications: { mark: undefined, trust: true, pollSafetyMs: SAFETY_MS },
    });
    expect(none.microsoftSkipped).toBeUndefined();
    // The run without a live subscription cleared the mark: a quiet run needs a new read first.
    expect((await state()).microsoftMark).toBeUndefined();
    const after = await h.run(BI, undefined, { notifications: watch(true) });
    expect(after.microsoftSkipped).toBeUndefined();
    advance(60_000);
    const quiet = await h.run(BI, undefined, { notifications: watch(true) });
    expect(quiet.microsoftSkipped).toBe(true);
  });

  it('the safety net: once the last Microsoft read is older than the poll interval, Graph is read', async () => {
    advance(SAFETY_MS + 60_000);
    const report = await h.run(BI, undefined, { notifications: watch(true) });
    expect(report.microsoftSkipped).toBeUndefined();
    expect(report.requests.microsoft).toBeGreaterThan(0);
    advance(60_000);
    const quiet = await h.run(BI, undefined, { notifications: watch(true) });
    expect(quiet.microsoftSkipped).toBe(true);
  });

  it('a lost cursor (lifecycle "missed" forgets it) is read in full whatever the subscription says', async () => {
    const states = new SyncStateRepository(h.tables);
    const current = (await states.get(ORO_OWNER, 'tasks'))!;
    const { microsoft: _dropped, ...cursors } = current.state.cursors;
    await states.save(ORO_OWNER, 'tasks', { state: { ...current.state, cursors }, etag: current.etag });
    const report = await h.run(BI, undefined, { notifications: watch(true) });
    expect(report.microsoftSkipped).toBeUndefined();
    expect(report.requests.microsoft).toBeGreaterThan(0);
  });

  it('a create at Microsoft that no read has confirmed yet makes the next scheduled run read Graph', async () => {
    // The Oro task settles before the run that copies it, so the run after reads Oro idle.
    h.oro.createTask(ORO_OWNER, { subject: 'Copied to To Do' });
    advance(60_000);
    await h.run(BI, undefined, { notifications: watch(false) });
    expect((await h.links()).some((l) => l.unconfirmed === 'microsoft')).toBe(true);
    advance(60_000);
    // No notification of our own create has arrived (yet, or ever: To Do has no "missed").
    const next = await h.run(BI, undefined, { notifications: watch(true) });
    expect(next.microsoftSkipped).toBeUndefined();
    expect((await h.links()).some((l) => l.unconfirmed === 'microsoft')).toBe(false);
    const quiet = await h.run(BI, undefined, { notifications: watch(true) });
    expect(quiet.microsoftSkipped).toBe(true);
  });
});
