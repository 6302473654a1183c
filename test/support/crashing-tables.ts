import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TableStore } from '../../shared/storage/tables';
import { tableStoreWith } from './counting-tables';

/**
 * The process running a sync dies in the middle of its table writes: after `after` more
 * batch transactions (links, sync log) have gone through, the next one is lost (before
 * Table Storage got it, or once it was carried out: `applied`), and nothing more of this
 * process reaches storage until `heal` (the next run is another process). Transactions
 * already on their way when it dies still land, as they would.
 */
export class TableCrash {
  private left: number | undefined;
  private applied = false;
  private dead = false;

  crashAfter(after: number, applied: boolean): void {
    this.left = after;
    this.applied = applied;
  }

  heal(): void {
    this.left = undefined;
    this.dead = false;
  }

  readonly policy: PipelinePolicy = {
    name: 'crash-during-table-writes',
    sendRequest: async (request, next) => {
      if (this.dead) {
        throw new Error('simulated crash: this process is gone');
      }
      if (this.left === undefined || !request.url.includes('$batch')) {
        return next(request);
      }
      if (this.left > 0) {
        this.left--;
        return next(request);
      }
      this.left = undefined;
      this.dead = true;
      if (this.applied) {
        await next(request);
      }
      throw new Error('simulated crash during a table transaction');
    },
  };
}

/** Real tables on Azurite, through a TableCrash (inert until armed; outside the SDK's retries, as a dead process retries nothing). */
export function crashingTableStore(connectionString: string, prefix: string, crash: TableCrash): TableStore {
  return tableStoreWith(connectionString, prefix, crash.policy);
}
