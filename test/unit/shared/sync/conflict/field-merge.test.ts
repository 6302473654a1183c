import { fieldMerge } from '../../../../../shared/sync/conflict/field-merge';
import type { Fields, Snapshot } from '../../../../../shared/sync/model';

const snap = <F extends Fields>(fields: F): Snapshot<F> => ({
  id: 'x',
  version: 'v',
  fields,
  modifiedAt: '2026-01-01T00:00:00Z',
});
const moved = (day: string, start: string) => ({
  originalStart: `2026-03-${day}T09:00:00Z`,
  cancelled: false,
  title: 'Standup',
  description: '',
  start,
  end: start.replace('09:', '09:15'),
  location: '',
});
const cancelled = (day: string) => ({ originalStart: `2026-03-${day}T09:00:00Z`, cancelled: true });

describe('field-merge', () => {
  it('merges a series’ exceptions per occurrence: an edit on each side, both kept', () => {
    const base = { title: 'Standup', exceptions: [moved('02', '2026-03-02T10:00:00Z')] };
    const oro = { ...base, exceptions: [...base.exceptions, cancelled('04')] };
    const microsoft = {
      ...base,
      exceptions: [moved('02', '2026-03-02T11:00:00Z'), moved('09', '2026-03-09T08:00:00Z')],
    };
    const out = fieldMerge({ base, oro: snap(oro), microsoft: snap(microsoft) });
    expect(out.fields.exceptions).toEqual([
      moved('02', '2026-03-02T11:00:00Z'),
      cancelled('04'),
      moved('09', '2026-03-09T08:00:00Z'),
    ]);
    expect(out.winner).toBe('merged');
  });

  it('the same occurrence changed on both sides: Oro’s; an exception removed on one side stays removed', () => {
    const base = { exceptions: [moved('02', '2026-03-02T10:00:00Z'), cancelled('04')] };
    const oro = { exceptions: [moved('02', '2026-03-02T12:00:00Z')] };
    const microsoft = { exceptions: [moved('02', '2026-03-02T13:00:00Z'), cancelled('04')] };
    const out = fieldMerge({ base, oro: snap(oro), microsoft: snap(microsoft) });
    expect(out.fields.exceptions).toEqual([moved('02', '2026-03-02T12:00:00Z')]);
    expect(out.winner).toBe('oro');
  });

  it('plain lists are values: changed on both sides → Oro’s list whole', () => {
    const base = { attendees: ['a'] };
    const out = fieldMerge({
      base,
      oro: snap({ attendees: ['a', 'b'] }),
      microsoft: snap({ attendees: ['c'] }),
    });
    expect(out.fields.attendees).toEqual(['a', 'b']);
  });
});
