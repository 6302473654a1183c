import { randomBytes } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { SecretBox } from '../../shared/crypto/secret-box';
import { SettingsService } from '../../shared/settings/service';
import { storedOverrides } from '../../shared/settings/model';
import { accountRow, storedAccount, ConnectionRepository } from '../../shared/storage/connection-repository';
import {
  slotTime,
  type ScheduleRepository,
  type UserSchedule,
} from '../../shared/storage/schedule-repository';
import { GLOBAL_ID, SettingsRepository } from '../../shared/storage/settings-repository';
import { stateRow, syncState, SyncStateRepository } from '../../shared/storage/sync-state-repository';
import type { TableStore } from '../../shared/storage/tables';
import { ORGS, STAMP, intervalOf, orgOf, slotFor, type Minute } from './population';

/** Seeding the tables of both designs: settings at every level, today's layout and the sharded one. */
async function inTransactions(table: TableClient, partition: string, rows: Record<string, unknown>[]) {
  for (let i = 0; i < rows.length; i += 100) {
    const actions: TransactionAction[] = rows
      .slice(i, i + 100)
      .map((r) => ['create', { partitionKey: partition, ...r } as { partitionKey: string; rowKey: string }]);
    await table.submitTransaction(actions);
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        await work(items[next++]!);
      }
    }),
  );
}

export function services(tables: TableStore) {
  return {
    settings: new SettingsService(
      new SettingsRepository(tables),
      new SecretBox([{ id: 'bench', key: randomBytes(32) }]),
    ),
    connections: new ConnectionRepository(tables),
    states: new SyncStateRepository(tables),
  };
}

export async function seedLevels(settings: SettingsService): Promise<void> {
  await settings.write(
    'global',
    GLOBAL_ID,
    { syncIntervalMinutes: 30, tasks: { enabled: true } },
    'replace',
    {},
  );
  for (const [org, interval] of ORGS) {
    await settings.write('organization', org, { syncIntervalMinutes: interval }, 'replace', {});
  }
}

/** User settings rows (the organization, and every 10th user's own 5 minutes), in transactions. */
export async function seedUserSettings(tables: TableStore, ids: readonly string[]): Promise<void> {
  await inTransactions(
    tables.client('settings'),
    'user',
    ids.map((id, i) => ({
      rowKey: id,
      overrides: JSON.stringify(storedOverrides.parse(i % 10 === 0 ? { syncIntervalMinutes: 5 } : {})),
      organizationId: orgOf(i),
      updatedAt: STAMP,
    })),
  );
}

/** Today's layout: slot rows per minute, a pointer per user, connection and sync state rows. */
export async function seedBaseline(
  tables: TableStore,
  ids: readonly string[],
  due: number,
  m: Minute,
  log: (l: string) => void,
) {
  const bySlot = new Map<string, Record<string, unknown>[]>();
  ids.forEach((id, i) => {
    const slot = slotFor(i, due, m.target);
    const list = bySlot.get(slot) ?? [];
    list.push({ rowKey: `${id}:tasks`, userId: id, entity: 'tasks' });
    bySlot.set(slot, list);
  });
  for (const [slot, rows] of bySlot) {
    await inTransactions(tables.client('schedule'), slot, rows);
  }
  const account = JSON.stringify(
    storedAccount.parse({
      status: 'connected',
      homeAccountId: 'h',
      username: 'bench@contoso.example',
      displayName: 'Bench',
      tenantId: 't',
      scopes: [],
      connectedAt: STAMP,
      updatedAt: STAMP,
    }),
  );
  let seeded = 0;
  await eachLimited(
    ids.map((id, i) => [id, i] as const),
    48,
    async ([id, i]) => {
      const last = new Date(
        slotTime(slotFor(i, due, m.target)).getTime() - intervalOf(i) * 60_000,
      ).toISOString();
      await Promise.all([
        tables.client('schedule').createEntity({
          partitionKey: `user:${id}`,
          rowKey: `${id}:tasks`,
          slot: slotFor(i, due, m.target),
        }),
        tables.client('connections').createEntity({ partitionKey: id, rowKey: accountRow(id), account }),
        tables.client('syncstate').createEntity({
          partitionKey: id,
          rowKey: stateRow(id, 'tasks'),
          state: JSON.stringify(syncState.parse({ cursors: {}, status: 'idle', lastSyncAt: last, runs: 1 })),
        }),
      ]);
      if (++seeded % 20_000 === 0) {
        log(`  seeded ${seeded} users (today's design)`);
      }
    },
  );
}

/** The sharded layout: each user's entry and slot row in its shard partition, carrying the user's own interval. */
export async function seedSharded(
  schedule: ScheduleRepository,
  users: readonly { id: string; i: number; slot: string }[],
): Promise<void> {
  const values = (i: number): UserSchedule => ({
    organizationId: orgOf(i),
    ...(i % 10 === 0 ? { intervalMinutes: 5 } : {}),
  });
  for (let k = 0; k < users.length; k += 5_000) {
    await schedule.insertMany(
      users
        .slice(k, k + 5_000)
        .map((u) => ({ userId: u.id, entity: 'tasks' as const, slot: u.slot, values: values(u.i) })),
    );
  }
}
