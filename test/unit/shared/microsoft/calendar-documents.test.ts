import {
  eventDoc,
  LINK_PROPERTY,
  snapshot,
  versionOf,
} from '../../../../shared/microsoft/calendar-documents';
import { PRIVATE_TITLE } from '../../../../shared/sync/calendar/event-mapping';

/** An event document as Graph answers it (learn.microsoft.com/graph/api/resources/event, v1.0). */
const doc = (over: Record<string, unknown> = {}) =>
  eventDoc.parse({
    id: 'AAMkAGI1',
    type: 'singleInstance',
    changeKey: 'ck-1',
    lastModifiedDateTime: '2026-11-20T10:00:00Z',
    subject: 'Therapy',
    body: { contentType: 'text', content: 'session 4' },
    start: { dateTime: '2026-12-01T09:00:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-12-01T10:00:00.0000000', timeZone: 'UTC' },
    isAllDay: false,
    isReminderOn: true,
    reminderMinutesBeforeStart: 30,
    location: { displayName: 'Clinic' },
    attendees: [{ type: 'required', emailAddress: { name: 'Dr. Adler', address: 'adler@clinic.example' } }],
    organizer: { emailAddress: { name: 'Megan Bowen', address: 'megan@contoso.example' } },
    isOrganizer: true,
    sensitivity: 'private',
    showAs: 'oof',
    ...over,
  });

const item = (m: ReturnType<typeof snapshot>) => {
  if (!('item' in m)) {
    throw new Error(`no item: ${JSON.stringify(m)}`);
  }
  return m.item;
};

describe('Graph event document → snapshot, private events and free/busy', () => {
  it('busy-only (the default): busy time with a neutral title, Outlook-led, its version marked with the setting', () => {
    const s = item(snapshot(doc()));
    expect(s.fields).toMatchObject({
      title: PRIVATE_TITLE,
      description: '',
      location: '',
      attendees: [],
      organizer: null,
      start: '2026-12-01T09:00:00Z',
      end: '2026-12-01T10:00:00Z',
      reminderMinutes: 30,
      showAs: 'oof',
    });
    expect(s.readOnly).toMatch(/^private in Outlook/);
    expect(s.version).toBe(`${versionOf(doc())}~busy-only`);
  });

  it('full: the event as it is, with its own version and no lead', () => {
    const s = item(snapshot(doc(), 'full'));
    expect(s.fields).toMatchObject({ title: 'Therapy', description: 'session 4', location: 'Clinic' });
    expect(s.fields.attendees).toHaveLength(1);
    expect(s.readOnly).toBeUndefined();
    expect(s.version).toBe(versionOf(doc()));
  });

  it('skip: not mapped, with the reason', () => {
    const skipped = snapshot(doc(), 'skip');
    expect(Object.keys(skipped)).toEqual(['private']);
    expect('private' in skipped ? skipped.private : '').toContain('not copied');
  });

  it('confidential counts as private; normal and personal do not', () => {
    expect(item(snapshot(doc({ sensitivity: 'confidential' }))).fields.title).toBe(PRIVATE_TITLE);
    for (const sensitivity of ['normal', 'personal']) {
      for (const mode of ['busy-only', 'skip'] as const) {
        const s = item(snapshot(doc({ sensitivity }), mode));
        expect(s.fields.title).toBe('Therapy');
        expect(s.version).toBe(versionOf(doc()));
      }
    }
  });

  it('a private invitation is busy time too, its organizer left out', () => {
    const s = item(
      snapshot(
        doc({
          isOrganizer: false,
          organizer: { emailAddress: { name: 'Boss', address: 'boss@fabrikam.example' } },
        }),
      ),
    );
    expect(s.fields).toMatchObject({ title: PRIVATE_TITLE, organizer: null });
    expect(s.readOnly).toMatch(/^private in Outlook/);
  });

  it('an event the sync created from Oro (it carries our link id) is never masked: Oro has it in full', () => {
    const ours = doc({ singleValueExtendedProperties: [{ id: LINK_PROPERTY, value: 'o-abc' }] });
    for (const mode of ['busy-only', 'skip'] as const) {
      const s = item(snapshot(ours, mode));
      expect(s).toMatchObject({ linkId: 'o-abc', version: versionOf(ours), fields: { title: 'Therapy' } });
      expect(s.readOnly).toBeUndefined();
    }
  });
});
