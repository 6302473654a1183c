import type { ServerResponse } from 'node:http';
import { JSON_API, error, send } from './jsonapi';
import type { Checked, OroTaskRecord, TaskDocument } from './tasks';

/**
 * Oro's JSON:API Batch API for tasks (`PATCH /api/tasks` with a list), which stock Oro does
 * not offer: a resource has it only when its `update_list` action is enabled in an
 * `api.yml` (oroinc/platform ApiBundle Processor/CollectResources/ExcludeUpdateListAction.php
 * excludes it otherwise, and OroCRMTaskBundle Resources/config/oro/api.yml does not enable
 * it). docs/oro-batch-api.md has the facts and their sources.
 *
 * - `false` (stock Oro 6.1): the list route answers PATCH with 405 and an Allow header
 *   without PATCH (ApiBundle Tests/Functional/RestPlain/UpdateListTest.php), and OPTIONS
 *   with that same Allow (Tests/Functional/RestJsonApiSecurity/UnauthenticatedTest.php
 *   testOptionsForList).
 * - `{ mode: 'sync' }`: Oro 6.1 and later with `update_list: true` for tasks: `X-Mode: sync`
 *   processes up to `syncLimit` records (Oro's default: 100, `batch_api.sync_processing_limit`)
 *   at once, atomically, as Tests/Functional/RestJsonApiBatch/SyncUpdateListTest.php shows;
 *   no X-Mode (or `async`) queues an asynchronous operation (202).
 * - `{ mode: 'async' }`: an Oro before 6.1 with `update_list` enabled: X-Mode is unknown there
 *   (Processor/UpdateList/CheckProcessingMode.php came with 6.1.0), every batch is queued.
 */
export type OroTaskBatchApi = false | { mode: 'sync' | 'async'; syncLimit?: number };

/** The methods of /api/tasks (OPTIONS, then in Oro's order), PATCH only with update_list. */
export const taskListAllow = (batch: OroTaskBatchApi) =>
  batch ? 'OPTIONS, GET, PATCH, POST, DELETE' : 'OPTIONS, GET, POST, DELETE';

export interface TaskBatchRequest {
  method: string;
  body: string;
  contentType: string | undefined;
  /** The X-Mode request header. */
  mode?: string | undefined;
  res: ServerResponse;
  answer: (status: number, payload?: unknown) => void;
}

/**
 * The list route's PATCH and OPTIONS. `check`, `create`, `edit` and `resource` are the task
 * store's own (dev/oro/tasks.ts), so a record of a batch is validated and written exactly as
 * the single-resource routes do.
 */
export function createTaskBatch(deps: {
  batch: () => OroTaskBatchApi;
  check: (data: TaskDocument, id: string | undefined) => Checked;
  create: (owner: string, fields: Partial<OroTaskRecord>) => OroTaskRecord;
  edit: (id: string, fields: Partial<OroTaskRecord>) => OroTaskRecord;
  resource: (t: OroTaskRecord) => Record<string, unknown>;
}) {
  let nextOperation = 1;
  /** Asynchronous operations by id: their records are written at once, so each is a success. */
  const operations = new Map<string, Record<string, unknown>>();

  function handle(request: TaskBatchRequest): void {
    const { method, res } = request;
    const batch = deps.batch();
    res.setHeader('Allow', taskListAllow(batch));
    if (method === 'OPTIONS') {
      // ApiBundle Processor/Options: 200 with the Allow header and no body.
      return send(res, 200);
    }
    if (!batch) {
      return error(
        res,
        405,
        'method not allowed',
        'No route found for "PATCH /api/tasks": Method Not Allowed.',
      );
    }
    update(request, batch);
  }

  function update(request: TaskBatchRequest, batch: Exclude<OroTaskBatchApi, false>): void {
    const { body, contentType, res, answer } = request;
    if (!contentType?.includes(JSON_API)) {
      return error(
        res,
        415,
        'unsupported media type',
        `The "Content-Type" request header must be "${JSON_API}".`,
      );
    }
    // CheckProcessingMode (6.1): "sync" or "async", anything else refused; before 6.1 ignored.
    const mode = batch.mode === 'async' ? 'async' : (request.mode ?? 'async');
    if (mode !== 'sync' && mode !== 'async') {
      return error(
        res,
        400,
        'header constraint',
        'The accepted values for the "X-Mode" are "sync" or "async".',
      );
    }
    let doc: { data?: unknown };
    try {
      doc = JSON.parse(body) as typeof doc;
    } catch {
      doc = {};
    }
    const records = Array.isArray(doc.data) ? (doc.data as TaskDocument[]) : [];
    if (records.length === 0) {
      return error(res, 400, 'request data constraint', 'The request data should not be empty.');
    }
    const limit = batch.syncLimit ?? 100;
    if (mode === 'sync' && records.length > limit) {
      // ProcessSynchronousOperation::getErrorDetail; nothing is written.
      return error(
        res,
        400,
        'request data constraint',
        `The data limit for the synchronous operation exceeded. The maximum number of records that can be processed by the synchronous operation is ${limit}.`,
      );
    }
    // Every record is checked before any is written: a synchronous batch is atomic (all
    // records or none, SyncUpdateListTest::testTrySynchronousBatchApiRequestWhenPrimaryRequestDataHaveErrors),
    // each error pointing at its record ("/data/0/attributes/title").
    const errors: Record<string, unknown>[] = [];
    const checked = records.map((r, i) => {
      const update = r.meta?.update === true;
      if (r.type !== 'tasks') {
        errors.push(
          recordError(400, 'entity type constraint', 'This value should be "tasks".', `/data/${i}/type`),
        );
        return undefined;
      }
      if (update && r.id === undefined) {
        errors.push(
          recordError(400, 'entity identifier constraint', 'The identifier is mandatory.', `/data/${i}/id`),
        );
        return undefined;
      }
      const c = deps.check(r, update ? r.id : undefined);
      if (!c.ok) {
        errors.push(recordError(c.status, c.title, c.detail, `/data/${i}${c.pointer ?? ''}`));
        return undefined;
      }
      return { record: r, update, c };
    });
    if (errors.length > 0) {
      // One status for the document: Oro's own when every error shares it, else 400.
      const statuses = new Set(errors.map((e) => e.status));
      return send(res, statuses.size === 1 ? Number([...statuses][0]) : 400, { errors });
    }
    const written = checked.map((x) => {
      const { record, update, c } = x!;
      const task = update ? deps.edit(record.id!, c.fields) : deps.create(c.owner!, c.fields);
      // The request's own identifier comes back as meta.dataId (SetSynchronousOperationResultDocument).
      return record.id === undefined
        ? deps.resource(task)
        : { ...deps.resource(task), meta: { dataId: record.id } };
    });
    if (mode === 'async') {
      // The records are written "in the background" at once; the answer is the operation
      // (202 with the asyncoperations resource, as the Batch API documentation shows).
      const id = String(nextOperation++);
      const attributes = { entityType: 'tasks', progress: null, summary: null, elapsedTime: 0 };
      operations.set(id, {
        type: 'asyncoperations',
        id,
        attributes: { ...attributes, status: 'success', progress: 1 },
      });
      res.setHeader('Content-Location', `/api/asyncoperations/${id}`);
      return answer(202, {
        data: { type: 'asyncoperations', id, attributes: { ...attributes, status: 'new' } },
      });
    }
    answer(200, { data: written });
  }

  /** GET /api/asyncoperations/{id} (ApiBundle Resources/doc/api/async_operation.md). */
  function operation(id: string, res: ServerResponse): void {
    const op = operations.get(id);
    if (op) {
      send(res, 200, { data: op });
    } else {
      error(res, 404, 'not found exception', 'The entity does not exist.');
    }
  }

  return { handle, operation };
}

function recordError(status: number, title: string, detail: string, pointer: string) {
  return { status: String(status), title, detail, source: { pointer } };
}
