import type { ConflictStrategy } from './strategy';

export const microsoftWins: ConflictStrategy = ({ microsoft }) => ({
  fields: microsoft.fields,
  winner: 'microsoft',
});
