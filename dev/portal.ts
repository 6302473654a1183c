import { DEMO } from './seed';

/**
 * A stand-in for the Oro admin portal's Microsoft settings screen, served by the dev host
 * at `/`: Connect opens the sign-in popup, the popup posts the result back here, Check
 * Connection and Disconnect call the API. Local only; it embeds the dev admin token.
 */
const ENTITIES = [
  ['calendar', 'Calendar'],
  ['tasks', 'Tasks'],
] as const;

export function renderDevPortal(apiUrl: string, token: string): string {
  const config = JSON.stringify({ api: `${apiUrl}/api`, token }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Microsoft Settings (local demo portal)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;color:#1b1b1b}
fieldset{border:1px solid #ccc;margin:1rem 0;padding:1rem}button{margin-right:.5rem;padding:.4rem 1rem}
.ok{color:#107c10}.fail{color:#a4262c}li{margin:.2rem 0}
</style></head><body>
<h1>Microsoft Settings</h1>
<p>Local demo of the Oro user configuration screen. User:
<select id="user">
<option value="${DEMO.inheritingUserId}">${DEMO.inheritingUserId} (inherits)</option>
<option value="${DEMO.overridingUserId}">${DEMO.overridingUserId} (overrides)</option>
</select></p>
<fieldset><legend>Microsoft Account</legend>
<p>Status: <strong id="status">…</strong> <span id="account"></span></p>
<button id="connect">Connect</button>
<button id="check">Check Connection</button>
<button id="disconnect">Disconnect</button>
<ul id="checks"></ul>
<p id="message"></p>
</fieldset>
${ENTITIES.map(
  ([entity, label]) => `<fieldset><legend>${label} Synchronization</legend>
<p>${label}: <strong id="${entity}-state">…</strong> <span id="${entity}-detail"></span></p>
<button id="sync-${entity}">Sync ${entity} now</button>
<ol id="${entity}-log"></ol>
</fieldset>`,
).join('\n')}
<script>
const cfg = ${config};
const $ = (id) => document.getElementById(id);
const user = () => $('user').value;
async function call(method, path, entity) {
  const headers = { Authorization: 'Bearer ' + cfg.token };
  if (entity) headers['Content-Type'] = 'application/json';
  const res = await fetch(cfg.api + path, { method, headers, body: entity ? JSON.stringify({ entity }) : undefined });
  const body = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(body && body.detail ? body.detail : 'HTTP ' + res.status);
  return body;
}
async function refresh() {
  const c = await call('GET', '/users/' + user() + '/connection');
  $('status').textContent = c.status;
  $('account').textContent = c.accountName ? '(' + c.accountName + ')' : '';
}
window.addEventListener('message', (event) => {
  if (event.origin !== location.origin || !event.data || event.data.type !== 'microsoft-connection') return;
  $('message').textContent = event.data.ok ? 'Connected as ' + event.data.accountName : 'Not connected: ' + event.data.error;
  $('message').className = event.data.ok ? 'ok' : 'fail';
  refresh();
});
$('connect').onclick = async () => {
  try {
    const { authorizeUrl } = await call('POST', '/users/' + user() + '/connection/authorize');
    window.open(authorizeUrl, 'microsoft-signin', 'width=520,height=680');
  } catch (e) { $('message').textContent = e.message; $('message').className = 'fail'; }
};
$('check').onclick = async () => {
  $('checks').textContent = '';
  const r = await call('POST', '/users/' + user() + '/connection/check');
  for (const c of r.checks) {
    const li = document.createElement('li');
    li.className = c.ok ? 'ok' : 'fail';
    li.textContent = (c.ok ? '✔ ' : '✘ ') + c.name + (c.detail ? ': ' + c.detail : '');
    $('checks').appendChild(li);
  }
};
$('disconnect').onclick = async () => { await call('DELETE', '/users/' + user() + '/connection'); refresh(); };
const ENTITIES = ['calendar', 'tasks'];
const LABELS = { calendar: 'Calendar', tasks: 'Tasks' };
async function refreshSync() {
  const s = await call('GET', '/users/' + user() + '/sync');
  for (const entity of ENTITIES) {
    const t = s[entity];
    $(entity + '-state').textContent = t.state + ' (' + t.direction + ')';
    const r = t.lastResult;
    $(entity + '-detail').textContent = (t.lastSyncAt ? 'last run ' + t.lastSyncAt + ': ' + r.created + ' created, ' + r.updated +
      ' updated, ' + r.deleted + ' deleted, ' + r.conflicts + ' conflicts, ' + r.errors + ' errors' : 'never run') +
      (t.lastError ? ' — ' + t.lastError : '');
    const log = await call('GET', '/users/' + user() + '/sync/log?entity=' + entity + '&limit=10');
    $(entity + '-log').textContent = '';
    for (const e of log.entries) {
      const li = document.createElement('li');
      li.textContent = e.time + ' ' + e.action + ' ' + e.direction + ' ' + e.outcome + (e.detail ? ' (' + e.detail.slice(0, 80) + ')' : '');
      $(entity + '-log').appendChild(li);
    }
  }
}
for (const entity of ENTITIES) {
  $('sync-' + entity).onclick = async () => {
    const r = await call('POST', '/users/' + user() + '/sync', entity);
    const queued = r.queued && r.queued.length > 0;
    $('message').textContent = LABELS[entity] + ' sync: ' + (queued ? 'queued' : r.skipped && r.skipped.length ? r.skipped[0].reason : (r.detail || 'refused'));
    $('message').className = queued ? 'ok' : 'fail';
    // The run happens on the queue: follow the status until it has started and finished.
    for (let i = 0; queued && i < 60; i++) {
      await new Promise((done) => setTimeout(done, 500));
      const t = (await call('GET', '/users/' + user() + '/sync'))[entity];
      if (t.state !== 'queued' && t.state !== 'running') break;
    }
    refreshSync();
  };
}
$('user').onchange = () => { refresh(); refreshSync(); };
refresh();
refreshSync();
</script>
</body></html>`;
}
