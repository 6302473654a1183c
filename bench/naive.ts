/**
 * The baseline a first version would write: list everything on both sides, match by
 * title, and write one request per item (no delta, no batch, no links).
 */
export async function naiveSync(
  oro: { url: string },
  ms: { graphUrl: string },
  owner: string,
  token: string,
): Promise<{ oro: number; microsoft: number }> {
  const counts = { oro: 0, microsoft: 0 };
  const oroToken = await (async () => {
    counts.oro++;
    const r = await fetch(`${oro.url}/oauth2-token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sync', client_secret: 'pw' }),
    });
    return ((await r.json()) as { access_token: string }).access_token;
  })();
  const oroGet = async (url: string) => {
    counts.oro++;
    return (await (await fetch(url, { headers: { Authorization: `Bearer ${oroToken}` } })).json()) as {
      data: {
        id: string;
        attributes: { subject: string };
        relationships: { status: { data: { id: string } } };
      }[];
      links?: { next?: string };
    };
  };
  const msCall = async (method: string, url: string, body?: unknown) => {
    counts.microsoft++;
    const r = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return r.status === 204 ? undefined : ((await r.json()) as Record<string, unknown>);
  };

  const oroTasks: { id: string; subject: string; status: string }[] = [];
  for (let url: string | undefined = `${oro.url}/api/tasks?filter[owner]=${owner}&page[size]=100`; url;) {
    const page = await oroGet(url);
    oroTasks.push(
      ...page.data.map((d) => ({
        id: d.id,
        subject: d.attributes.subject,
        status: d.relationships.status.data.id,
      })),
    );
    url = page.links?.next;
  }
  const lists = (await msCall('GET', `${ms.graphUrl}/v1.0/me/todo/lists`)) as { value: { id: string }[] };
  const listId = lists.value[0]!.id;
  const msTasks: { id: string; title: string; status: string }[] = [];
  for (let url: string | undefined = `${ms.graphUrl}/v1.0/me/todo/lists/${listId}/tasks?$top=100`; url;) {
    const page = (await msCall('GET', url)) as {
      value: { id: string; title: string; status: string }[];
      '@odata.nextLink'?: string;
    };
    msTasks.push(...page.value);
    url = page['@odata.nextLink'];
  }
  const msByTitle = new Map(msTasks.map((t) => [t.title, t]));
  const oroTitles = new Set(oroTasks.map((t) => t.subject));
  const TODO_STATUS: Record<string, string> = {
    open: 'notStarted',
    in_progress: 'inProgress',
    closed: 'completed',
  };
  for (const t of oroTasks) {
    const twin = msByTitle.get(t.subject);
    if (!twin) {
      await msCall('POST', `${ms.graphUrl}/v1.0/me/todo/lists/${listId}/tasks`, { title: t.subject });
    } else if (twin.status !== TODO_STATUS[t.status]) {
      await msCall('PATCH', `${ms.graphUrl}/v1.0/me/todo/lists/${listId}/tasks/${twin.id}`, {
        status: TODO_STATUS[t.status],
      });
    }
  }
  for (const t of msTasks) {
    if (oroTitles.has(t.title)) {
      continue;
    }
    counts.oro++;
    await fetch(`${oro.url}/api/tasks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${oroToken}`, 'Content-Type': 'application/vnd.api+json' },
      body: JSON.stringify({
        data: {
          type: 'tasks',
          attributes: { subject: t.title },
          relationships: { owner: { data: { type: 'users', id: owner } } },
        },
      }),
    });
  }
  return counts;
}
