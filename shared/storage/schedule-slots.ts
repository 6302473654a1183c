import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error';
import type { SyncEntity } from './sync-state-repository';

/** A due slot: the UTC minute "yyyyMMddHHmm"; sorts as a string in time order. */
export type Slot = string;
export const SLOT = /^\d{12}$/;

export const slotOf = (at: Date): Slot => at.toISOString().slice(0, 16).replace(/[-T:]/g, '');

export function slotTime(slot: Slot): Date {
  if (!SLOT.test(slot)) {
    throw new AppError('validation', `"${slot}" is not a schedule slot`);
  }
  return new Date(
    `${slot.slice(0, 4)}-${slot.slice(4, 6)}-${slot.slice(6, 8)}T${slot.slice(8, 10)}:${slot.slice(10, 12)}:00Z`,
  );
}

export const addMinutes = (slot: Slot, minutes: number): Slot =>
  slotOf(new Date(slotTime(slot).getTime() + minutes * 60_000));

/** Shards of a new schedule unless configured otherwise (SCHEDULE_SHARDS). */
export const DEFAULT_SHARDS = 32;
export const MAX_SHARDS = 1000;

/**
 * The shard of a user's entity: the first 32 bits of SHA-256 of "user:entity", mod the shard
 * count. Stable whatever the process or platform, and well spread even for ids that differ
 * in a digit or two (FNV-1a's low bits were not: up to 50% above the mean on such ids).
 */
export function shardOf(userId: string, entity: SyncEntity, shards: number): number {
  return createHash('sha256').update(`${userId}:${entity}`, 'utf8').digest().readUInt32BE(0) % shards;
}

export const shardPartition = (shard: number): string => `shard-${String(shard).padStart(3, '0')}`;

export function checkSlot(slot: Slot): void {
  if (!SLOT.test(slot)) {
    throw new AppError('validation', `"${slot}" is not a schedule slot`);
  }
}
