/**
 * The reference portal's browser script (plain ES2020, no build step): reads and writes the
 * settings of the chosen level, the Microsoft account, status and log, all through /api.
 * Kept as a string so the dev host serves it inline; it must hold no backtick or
 * template placeholder, since dev/portal.ts embeds it in a template literal.
 */
export const PORTAL_SCRIPT = String.raw`
const $ = (id) => document.getElementById(id);
const KEYS = ['syncIntervalMinutes', 'calendar.enabled', 'calendar.direction', 'calendar.conflictResolution',
  'calendar.privateEvents', 'tasks.enabled', 'tasks.direction', 'tasks.conflictResolution'];
/** User-level-only settings: no inheritance, shown and saved at user level only. */
const USER_KEYS = ['calendar.oroCalendarId', 'calendar.microsoftCalendarId', 'tasks.microsoftListId'];
/** The choices a select offers, from the connected account: GET /users/{id}/microsoft/{path}. */
const CHOICES = {
  'calendar.microsoftCalendarId': { path: 'calendars', unset: 'Default calendar', what: 'calendar' },
  'tasks.microsoftListId': { path: 'task-lists', unset: 'Default list', what: 'task list' },
};
const ENTITIES = ['calendar', 'tasks'];
const LABELS = { calendar: 'Calendar', tasks: 'Tasks' };
const LEVEL_NAMES = { global: 'Global', organization: 'Organization', user: 'User' };
const idOf = (key) => key.replace('.', '-');
const get = (doc, key) => key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), doc);

/** The level on screen: what it overrides, its ETag, and each field's inherited value and source. */
const view = { level: 'user', id: '', path: '', etag: '', own: {}, inherited: {} };

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.detail ? body.detail : 'HTTP ' + status);
    this.status = status;
    this.body = body;
  }
}
async function call(method, path, body, headers) {
  const h = Object.assign({ Authorization: 'Bearer ' + cfg.token }, headers || {});
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(cfg.api + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, parsed);
  return { body: parsed, etag: res.headers.get('ETag') };
}
function say(text, ok) {
  $('message').textContent = text;
  $('message').className = ok ? 'ok' : 'fail';
}
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

// ---- settings -------------------------------------------------------------------

function readScope() {
  const [level, id] = $('scope').value.split(':');
  view.level = level;
  view.id = id || '';
  view.path = level === 'global' ? '/settings/global' : level === 'organization' ? '/settings/organizations/' + id : '/settings/users/' + id;
}

/** GET the level, and the levels above it for what a ticked field inherits. */
async function loadSettings() {
  readScope();
  $('conflict').classList.add('hidden');
  const mine = await call('GET', view.path);
  view.own = mine.body;
  view.etag = mine.etag;
  const global = view.level === 'global' ? null : (await call('GET', '/settings/global')).body;
  const orgId = view.level === 'user' ? mine.body.organizationId : null;
  const org = orgId ? (await call('GET', '/settings/organizations/' + orgId)).body : null;
  view.inherited = {};
  for (const key of KEYS) {
    const fromOrg = org ? get(org, key) : undefined;
    view.inherited[key] = fromOrg !== undefined
      ? { value: fromOrg, source: 'Organization ' + orgId }
      : { value: global ? get(global, key) : undefined, source: 'Global' };
  }
  for (const el of document.querySelectorAll('.use-label')) {
    el.textContent = view.level === 'user' ? 'Use Organization' : 'Use Global';
  }
  for (const el of document.querySelectorAll('.use')) el.classList.toggle('hidden', view.level === 'global');
  for (const el of document.querySelectorAll('.user-only')) el.classList.toggle('hidden', view.level !== 'user');
  for (const key of KEYS) {
    const own = get(view.own, key);
    const use = view.level !== 'global' && own === undefined;
    $('use-' + idOf(key)).checked = use;
    setField(key, use ? view.inherited[key].value : own);
    showUse(key);
    $('err-' + idOf(key)).textContent = '';
  }
  if (view.level === 'user') {
    for (const key of USER_KEYS) $('err-' + idOf(key)).textContent = '';
    await loadChoices(true);
  }
  showConflictRows();
}

/** Why a select lists no choices (not connected…), per setting; shown beside it. */
const choiceNotes = {};
function option(value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}
/**
 * Fills the Calendar and Task list selects from the connected account (the default one
 * marked), then shows the user's own values. fromSettings: show the saved values; else keep
 * what is selected on screen (the account was connected meanwhile).
 */
async function loadChoices(fromSettings) {
  for (const key of Object.keys(CHOICES)) {
    const c = CHOICES[key];
    const el = $('f-' + idOf(key));
    const own = get(view.own, key);
    const selected = fromSettings ? (own == null ? '' : own) : el.value;
    let listed = [];
    choiceNotes[key] = '';
    try {
      listed = (await call('GET', userPath() + '/microsoft/' + c.path)).body.value;
    } catch (e) {
      choiceNotes[key] = e.status === 409 ? 'connect the Microsoft account to choose a ' + c.what : e.message;
    }
    el.textContent = '';
    el.appendChild(option('', c.unset));
    for (const item of listed) {
      el.appendChild(option(item.id, item.name + (item.isDefault ? ' (default)' : '') + (item.canEdit === false ? ' (read-only)' : '')));
    }
    if (selected && !listed.some((item) => item.id === selected)) {
      el.appendChild(option(selected, selected + ' (not in the connected account)'));
    }
    el.value = selected;
  }
  if (fromSettings) setField('calendar.oroCalendarId', get(view.own, 'calendar.oroCalendarId'));
  for (const key of USER_KEYS) showUserSource(key);
}
function showUserSource(key) {
  const own = get(view.own, key);
  const unset = key === 'calendar.oroCalendarId'
    ? 'not set: calendar sync cannot start'
    : 'not set: the default ' + CHOICES[key].what;
  $('src-' + idOf(key)).textContent = (own == null ? unset : 'set for this user') +
    (choiceNotes[key] ? '; ' + choiceNotes[key] : '');
}

function setField(key, value) {
  const el = $('f-' + idOf(key));
  if (el.type === 'checkbox') el.checked = value === true;
  else el.value = value === undefined || value === null ? '' : String(value);
}
function fieldValue(key) {
  const el = $('f-' + idOf(key));
  if (el.type === 'checkbox') return el.checked;
  if (key === 'syncIntervalMinutes' || key === 'calendar.oroCalendarId') {
    const n = Number(el.value);
    // Anything that is not a number goes as typed: the API names what is wrong with it.
    return el.value.trim() !== '' && Number.isFinite(n) ? n : el.value;
  }
  return el.value;
}
/** Ticked: the inherited value, read-only, with where it comes from. Cleared: editable, this level's own. */
function showUse(key) {
  const use = $('use-' + idOf(key)).checked;
  if (use) setField(key, view.inherited[key].value);
  $('f-' + idOf(key)).disabled = use;
  $('src-' + idOf(key)).textContent = view.level === 'global'
    ? 'set globally'
    : use ? 'from ' + view.inherited[key].source : 'set for this ' + (view.level === 'user' ? 'user' : 'organization');
}
/** Conflict Resolution applies only to bidirectional sync, so it shows only then (as in Oro). */
function showConflictRows() {
  for (const entity of ENTITIES) {
    const bidirectional = $('f-' + entity + '-direction').value === 'bidirectional';
    $('row-' + entity + '-conflictResolution').classList.toggle('hidden', !bidirectional);
  }
}

/** One JSON merge patch for the whole form: a ticked field is null (no override), a cleared one its value. */
function patchBody() {
  const body = {};
  for (const key of KEYS) {
    const use = view.level !== 'global' && $('use-' + idOf(key)).checked;
    const value = use ? null : fieldValue(key);
    const [a, b] = key.split('.');
    if (b === undefined) body[a] = value;
    else (body[a] = body[a] || {})[b] = value;
  }
  if (view.level === 'user') {
    // Empty: not set (the default calendar or list), which null says in a merge patch.
    for (const key of USER_KEYS) {
      const value = fieldValue(key);
      const [a, b] = key.split('.');
      (body[a] = body[a] || {})[b] = value === '' ? null : value;
    }
  }
  return body;
}
/** A changed calendar or list: the next run pairs the new one afresh (nothing deleted in the old). */
function switchedChoices(body) {
  return Object.keys(CHOICES).filter((key) => {
    const [a, b] = key.split('.');
    return (get(view.own, key) == null ? null : get(view.own, key)) !== body[a][b];
  }).map((key) => CHOICES[key].what);
}

async function save(event) {
  event.preventDefault();
  for (const key of KEYS.concat(USER_KEYS)) $('err-' + idOf(key)).textContent = '';
  try {
    const body = patchBody();
    const switched = view.level === 'user' ? switchedChoices(body) : [];
    await call('PATCH', view.path, body, { 'If-Match': view.etag });
    await loadSettings();
    say('Settings saved.' + switched.map((what) => ' The next run pairs the new ' + what +
      ' afresh; nothing in the old ' + what + ' is deleted.').join(''), true);
  } catch (e) {
    if (e.status === 412) {
      say('', false);
      $('conflict').classList.remove('hidden');
    } else if (e.status === 400 && e.body && Array.isArray(e.body.errors)) {
      const other = [];
      for (const err of e.body.errors) {
        const slot = $('err-' + idOf(err.path));
        if (slot) slot.textContent = err.message;
        else other.push(err.path + ': ' + err.message);
      }
      say('Not saved: correct the fields marked below.' + (other.length ? ' ' + other.join('; ') : ''), false);
    } else {
      say('Not saved: ' + e.message, false);
    }
  }
}

// ---- Microsoft account --------------------------------------------------------------

const userPath = () => '/users/' + view.id;
async function refreshConnection() {
  const c = (await call('GET', userPath() + '/connection')).body;
  $('status').textContent = c.status;
  $('account').textContent = c.accountName ? '(' + c.accountName + ')' : c.reason ? c.reason : '';
}
window.addEventListener('message', (event) => {
  if (event.origin !== location.origin || !event.data || event.data.type !== 'microsoft-connection') return;
  say(event.data.ok ? 'Connected as ' + event.data.accountName : 'Not connected: ' + event.data.error, event.data.ok);
  refreshConnection();
  refreshStatus();
  loadChoices(false);
});
$('connect').onclick = async () => {
  try {
    const { authorizeUrl } = (await call('POST', userPath() + '/connection/authorize')).body;
    window.open(authorizeUrl, 'microsoft-signin', 'width=520,height=680');
  } catch (e) { say(e.message, false); }
};
const CHECK_LABELS = {
  profile: 'Microsoft account',
  calendar: 'Microsoft calendar',
  tasks: 'Microsoft To Do',
  'oro-calendar': 'Oro calendar',
};
$('check').onclick = async () => {
  $('checks').textContent = '';
  try {
    const r = (await call('POST', userPath() + '/connection/check')).body;
    for (const c of r.checks) {
      const li = document.createElement('li');
      li.className = c.ok ? 'ok' : 'fail';
      li.textContent = (c.ok ? '✔ ' : '✘ ') + (CHECK_LABELS[c.name] || c.name) + (c.detail ? ': ' + c.detail : '');
      $('checks').appendChild(li);
    }
  } catch (e) { say(e.message, false); }
};
$('disconnect').onclick = async () => {
  await call('DELETE', userPath() + '/connection');
  say('Disconnected.', true);
  refreshConnection();
  refreshStatus();
  loadChoices(false);
};

// ---- status and log ------------------------------------------------------------------

const counts = (r) => r.created + ' created, ' + r.updated + ' updated, ' + r.deleted + ' deleted, ' +
  r.conflicts + ' conflicts, ' + r.errors + ' errors';
const nothing = (r) => r.created + r.updated + r.deleted + r.conflicts + r.errors === 0;
const PLACES = {
  tasks: { 'oro-to-microsoft': 'Microsoft To Do', 'microsoft-to-oro': 'Oro' },
  calendar: { 'oro-to-microsoft': 'the Microsoft 365 calendar', 'microsoft-to-oro': 'the Oro calendar' },
};
const DONE = { create: 'created', update: 'updated', delete: 'deleted' };
const DIRECTIONS = { 'oro-to-microsoft': 'Oro to Microsoft', 'microsoft-to-oro': 'Microsoft to Oro', bidirectional: 'Bidirectional' };

/** The engine logs the planner's cell ("unchanged/updated: …"); a person reads only the reason. */
function reasonOf(detail) {
  const text = (detail || '').replace(/^[a-z-]+\/[a-z-]+(: )?/, '');
  const oneWay = /runs one way \((oro-to-microsoft|microsoft-to-oro)\)/.exec(text);
  if (oneWay) return 'this direction only sends ' + (oneWay[1] === 'oro-to-microsoft' ? 'Oro' : 'Microsoft') + ' changes';
  return text;
}
/** One log entry in words: "created in Microsoft To Do", "skipped: this direction only sends Oro changes". */
function describe(e) {
  const place = PLACES[e.entity][e.direction];
  if (DONE[e.action]) {
    // An applied write may carry a note of what the side could not take ("updated/unchanged; …").
    const note = e.outcome === 'ok' ? reasonOf(e.detail).replace(/^; /, '') : '';
    return e.outcome === 'ok'
      ? DONE[e.action] + ' in ' + place + (note ? ' (' + note + ')' : '')
      : 'could not be ' + DONE[e.action] + ' in ' + place + ': ' + reasonOf(e.detail);
  }
  switch (e.action) {
    case 'skip': return 'skipped: ' + reasonOf(e.detail);
    case 'conflict': return 'changed on both sides; the Conflict Resolution setting decided';
    case 'blocked': return 'not run: ' + reasonOf(e.detail);
    case 'error': return 'the run failed: ' + reasonOf(e.detail);
    case 'link': return 'paired with an existing item';
    // A run that started afresh (another calendar, list or account) says why in its detail.
    case 'unlink': return e.oroId === null && e.microsoftId === null && e.detail ? e.detail : 'no longer paired';
    default: return e.action + (e.detail ? ': ' + reasonOf(e.detail) : '');
  }
}
const itemOf = (e) => (e.oroId ? 'Oro #' + e.oroId : '');

async function refreshStatus() {
  if (view.level !== 'user') return;
  const s = (await call('GET', userPath() + '/sync')).body;
  for (const entity of ENTITIES) {
    const t = s[entity];
    $(entity + '-state').textContent = t.state + (t.enabled ? ' (' + DIRECTIONS[t.direction] + ')' : '') +
      (t.progress ? ': ' + t.progress.done + ' of ' + t.progress.planned + ' items done' : '');
    $(entity + '-error').textContent = t.lastError ? t.lastError : '';
    $(entity + '-last').textContent = t.lastSyncAt
      ? 'Last run ' + when(t.lastSyncAt) + ': ' + (nothing(t.lastResult) ? 'nothing to change' : counts(t.lastResult))
      : 'Never run';
    $(entity + '-change').textContent = t.lastChange
      ? 'Last change ' + when(t.lastChange.at) + ': ' + counts(t.lastChange.result)
      : 'No change made yet';
    $(entity + '-next').textContent = t.nextSyncAt ? 'Next run ' + when(t.nextSyncAt) : 'Not scheduled';
    $(entity + '-retry').textContent = t.nextRetryAt
      ? 'Retry ' + t.retryAttempt + ' at ' + when(t.nextRetryAt) + ', because: ' + t.retryReason
      : '';
    const log = (await call('GET', userPath() + '/sync/log?entity=' + entity + '&limit=10')).body;
    $(entity + '-log').textContent = '';
    for (const e of log.entries) {
      const li = document.createElement('li');
      li.className = e.outcome === 'failed' ? 'fail' : '';
      const item = itemOf(e);
      li.textContent = when(e.time) + ': ' + describe(e) + (item ? ' (' + item + ')' : '');
      $(entity + '-log').appendChild(li);
    }
  }
}
for (const entity of ENTITIES) {
  $('sync-' + entity).onclick = async () => {
    let queued = false;
    try {
      await call('POST', userPath() + '/sync', { entity });
      queued = true;
      say(LABELS[entity] + ' sync: queued', true);
    } catch (e) { say(LABELS[entity] + ' sync: ' + e.message, false); }
    // The run happens on the queue: follow the status until it has started and finished.
    for (let i = 0; queued && i < 60; i++) {
      await new Promise((done) => setTimeout(done, 500));
      const t = (await call('GET', userPath() + '/sync')).body[entity];
      if (t.state !== 'queued' && t.state !== 'running' && t.state !== 'continuing') break;
    }
    refreshStatus();
  };
}

// ---- wiring -----------------------------------------------------------------------

for (const key of KEYS) $('use-' + idOf(key)).onchange = () => { showUse(key); showConflictRows(); };
for (const entity of ENTITIES) $('f-' + entity + '-direction').onchange = showConflictRows;
$('settings').onsubmit = save;
$('reload').onclick = async () => { await loadSettings(); say('Reloaded: these are the current settings.', true); };
async function showScope() {
  say('', true);
  $('checks').textContent = '';
  try {
    await loadSettings();
    if (view.level === 'user') { await refreshConnection(); await refreshStatus(); }
  } catch (e) { say(e.message, false); }
}
$('scope').onchange = showScope;
showScope();
`;
