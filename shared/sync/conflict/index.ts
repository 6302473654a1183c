import type { ConflictResolution } from '../../settings/schema';
import { fieldMerge } from './field-merge';
import { microsoftWins } from './microsoft-wins';
import { mostRecentWins } from './most-recent-wins';
import { oroWins } from './oro-wins';
import type { ConflictStrategy } from './strategy';

export const CONFLICT_STRATEGIES: Record<ConflictResolution, ConflictStrategy> = {
  'oro-wins': oroWins,
  'microsoft-wins': microsoftWins,
  'most-recent-wins': mostRecentWins,
  'field-merge': fieldMerge,
};
