import type { ConflictStrategy } from './strategy';

export const oroWins: ConflictStrategy = ({ oro }) => ({ fields: oro.fields, winner: 'oro' });
