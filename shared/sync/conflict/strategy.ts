import type { Fields, Snapshot } from '../model';

export interface ConflictInput<F extends Fields> {
  base: F;
  oro: Snapshot<F>;
  microsoft: Snapshot<F>;
}

export interface ConflictOutcome<F extends Fields> {
  fields: F;
  /** Which side's version won, or 'merged' when fields came from both. */
  winner: 'oro' | 'microsoft' | 'merged';
}

/** Decides the fields of an item both sides changed since the last sync. */
export type ConflictStrategy = <F extends Fields>(input: ConflictInput<F>) => ConflictOutcome<F>;
