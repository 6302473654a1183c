import type { ConflictStrategy } from './strategy';

/** The later modification wins; a tie (or unreadable time) goes to Oro, so the outcome never depends on order. */
export const mostRecentWins: ConflictStrategy = ({ oro, microsoft }) => {
  const o = Date.parse(oro.modifiedAt);
  const m = Date.parse(microsoft.modifiedAt);
  return m > o ? { fields: microsoft.fields, winner: 'microsoft' } : { fields: oro.fields, winner: 'oro' };
};
