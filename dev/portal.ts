import { DEMO } from './seed';
import { PORTAL_SCRIPT } from './portal-script';

/**
 * The reference for Oro's "Microsoft Settings" screen (System Configuration > Integrations >
 * Microsoft Settings, at global, organization and user level), served by the dev host at
 * `/`. Plain HTML and script that calls only the public API; docs/portal.md lists the API
 * call behind each control. Local only: it embeds the dev admin token.
 */
const ENTITIES = [
  ['calendar', 'Calendar'],
  ['tasks', 'Tasks'],
] as const;

const DIRECTION_OPTIONS = [
  ['oro-to-microsoft', 'Oro to Microsoft'],
  ['microsoft-to-oro', 'Microsoft to Oro'],
  ['bidirectional', 'Bidirectional'],
] as const;

const CONFLICT_OPTIONS = [
  ['oro-wins', 'Oro wins'],
  ['microsoft-wins', 'Microsoft wins'],
  ['most-recent-wins', 'Most recent wins'],
  ['field-merge', 'Field merge'],
] as const;

const PRIVATE_EVENT_OPTIONS = [
  ['busy-only', 'Busy time only'],
  ['skip', 'Not synced'],
  ['full', 'Full details'],
] as const;

const options = (list: readonly (readonly [string, string])[]) =>
  list.map(([value, label]) => `<option value="${value}">${label}</option>`).join('');

/** One setting row: the control, its "Use Organization" checkbox, where the value comes from, its error. */
function row(key: string, label: string, control: string): string {
  const id = key.replace('.', '-');
  return `<div class="row" id="row-${id}">
<label for="f-${id}">${label}</label>
<span class="control">${control}</span>
<label class="use"><input type="checkbox" id="use-${id}" data-key="${key}"> <span class="use-label">Use Organization</span></label>
<span class="source" id="src-${id}"></span>
<span class="error" id="err-${id}" role="alert"></span>
</div>`;
}

/**
 * A user-level-only setting (the user's Oro calendar, the Outlook calendar and To Do list
 * chosen): nothing to inherit, so no "Use Organization" checkbox; shown at user level only.
 */
function userRow(key: string, label: string, control: string): string {
  const id = key.replace('.', '-');
  return `<div class="row user-only" id="row-${id}">
<label for="f-${id}">${label}</label>
<span class="control">${control}</span>
<span></span>
<span class="source" id="src-${id}"></span>
<span class="error" id="err-${id}" role="alert"></span>
</div>`;
}

/** The user's own choices in each entity's section; the selects are filled from the API. */
const USER_ROWS: Record<string, string> = {
  calendar: [
    userRow(
      'calendar.oroCalendarId',
      'Oro calendar id',
      '<input type="text" inputmode="numeric" id="f-calendar-oroCalendarId" size="8">',
    ),
    userRow(
      'calendar.microsoftCalendarId',
      'Calendar',
      '<select id="f-calendar-microsoftCalendarId"><option value="">Default calendar</option></select>',
    ),
  ].join('\n'),
  tasks: userRow(
    'tasks.microsoftListId',
    'Task list',
    '<select id="f-tasks-microsoftListId"><option value="">Default list</option></select>',
  ),
};

function entitySection(entity: string, label: string): string {
  return `<fieldset><legend>${label} Synchronization</legend>
${row(`${entity}.enabled`, 'Enabled', `<input type="checkbox" id="f-${entity}-enabled">`)}
${row(`${entity}.direction`, 'Sync Direction', `<select id="f-${entity}-direction">${options(DIRECTION_OPTIONS)}</select>`)}
${row(`${entity}.conflictResolution`, 'Conflict Resolution', `<select id="f-${entity}-conflictResolution">${options(CONFLICT_OPTIONS)}</select>`)}
${
  // What Outlook's private events become in Oro (docs/calendar.md).
  entity === 'calendar'
    ? row(
        'calendar.privateEvents',
        'Private Events',
        `<select id="f-calendar-privateEvents">${options(PRIVATE_EVENT_OPTIONS)}</select>`,
      )
    : ''
}
${USER_ROWS[entity] ?? ''}
</fieldset>`;
}

function statusSection(entity: string, label: string): string {
  return `<fieldset class="user-only"><legend>${label} status</legend>
<p>${label}: <strong id="${entity}-state">…</strong> <span id="${entity}-error" class="fail"></span></p>
<ul class="facts">
<li id="${entity}-last"></li>
<li id="${entity}-change"></li>
<li id="${entity}-next"></li>
<li id="${entity}-retry"></li>
</ul>
<button id="sync-${entity}">Sync ${entity} now</button>
<ol id="${entity}-log" class="log"></ol>
</fieldset>`;
}

export function renderDevPortal(apiUrl: string, token: string): string {
  const config = JSON.stringify({ api: `${apiUrl}/api`, token, organizationId: DEMO.organizationId }).replace(
    /</g,
    '\\u003c',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Microsoft Settings (local reference portal)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#1b1b1b}
fieldset{border:1px solid #ccc;margin:1rem 0;padding:1rem}button{margin-right:.5rem;padding:.4rem 1rem}
.row{display:grid;grid-template-columns:11rem 12rem 9rem 1fr;gap:.5rem;align-items:center;margin:.4rem 0}
.source{color:#605e5c;font-size:.9em}.error{grid-column:2/5;color:#a4262c}.error:empty{display:none}
.ok{color:#107c10}.fail{color:#a4262c}li{margin:.2rem 0}.hidden{display:none}
.log{font-size:.9em}.facts{list-style:none;padding:0}.facts li:empty{display:none}
</style></head><body>
<h1>Microsoft Settings</h1>
<p>System Configuration › Integrations › Microsoft Settings, for
<select id="scope">
<option value="user:${DEMO.inheritingUserId}">User ${DEMO.inheritingUserId}</option>
<option value="user:${DEMO.overridingUserId}">User ${DEMO.overridingUserId}</option>
<option value="organization:${DEMO.organizationId}">Organization ${DEMO.organizationId}</option>
<option value="global">Global (system configuration)</option>
</select></p>
<p id="message" role="status"></p>
<p id="conflict" class="hidden fail" role="alert">Someone else changed these settings since you opened them; nothing was saved.
<button id="reload">Reload the settings</button></p>
<fieldset class="user-only" id="account-section"><legend>Microsoft Account</legend>
<p>Status: <strong id="status">…</strong> <span id="account"></span></p>
<button id="connect">Connect</button>
<button id="check">Check Connection</button>
<button id="disconnect">Disconnect</button>
<ul id="checks"></ul>
</fieldset>
<form id="settings">
<fieldset><legend>Synchronization Settings</legend>
${row('syncIntervalMinutes', 'Sync interval (minutes)', '<input type="text" inputmode="numeric" id="f-syncIntervalMinutes" size="6">')}
</fieldset>
${ENTITIES.map(([entity, label]) => entitySection(entity, label)).join('\n')}
<button type="submit" id="save">Save Settings</button>
</form>
${ENTITIES.map(([entity, label]) => statusSection(entity, label)).join('\n')}
<script>
const cfg = ${config};
${PORTAL_SCRIPT}
</script>
</body></html>`;
}
