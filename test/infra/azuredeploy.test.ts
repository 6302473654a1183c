import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctionTable } from '../../functions/index';
import { loadConfig } from '../../shared/config/config';
import { QUEUES } from '../../shared/messaging/messages';
import { SCHEDULE_QUEUE } from '../../shared/messaging/schedule-queue';
import { MAX_DELIVERY_COUNT } from '../../shared/scheduling/sync-worker';
import {
  evaluateTemplate,
  IDENTITY,
  parseResourceId,
  type ArmResource,
  type ArmTemplate,
  type ArmValue,
} from '../support/arm-template';

// What infra/azuredeploy.json means once deployed, checked against the code it deploys:
// the settings the app's config requires, the queues the code sends to, the roles each
// connection needs, and that no key, SAS or secret is written in plain text anywhere.

const INFRA = join(__dirname, '../../infra');
const raw = readFileSync(join(INFRA, 'azuredeploy.json'), 'utf8');
const template = JSON.parse(raw) as ArmTemplate;
const exampleRaw = readFileSync(join(INFRA, 'azuredeploy.parameters.example.json'), 'utf8');
const example = JSON.parse(exampleRaw) as { parameters: Record<string, { value: ArmValue }> };
const exampleValues = Object.fromEntries(Object.entries(example.parameters).map(([k, v]) => [k, v.value]));

const secretKeys = `k1:${randomBytes(32).toString('base64')}`;
const deployed = evaluateTemplate(template, { ...exampleValues, secretKeys });

const BUILT_IN_ROLES = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
} as const;

type Props = Record<string, ArmValue>;
const props = (r: ArmResource | undefined): Props => (r?.properties ?? {}) as Props;
const text = (v: ArmValue | undefined): string => (typeof v === 'string' ? v : JSON.stringify(v));
const ofType = (type: string) =>
  deployed.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
const one = (type: string) => {
  const found = ofType(type);
  expect(found).toHaveLength(1);
  return found[0] as ArmResource & { id: string };
};

const site = one('Microsoft.Web/sites');
const siteProps = props(site);
const siteConfig = siteProps.siteConfig as Props;
const appSettings = Object.fromEntries(
  (siteConfig.appSettings as Array<{ name: string; value: string }>).map((s) => [s.name, s.value]),
);
const identity = one('Microsoft.ManagedIdentity/userAssignedIdentities');
const storage = one('Microsoft.Storage/storageAccounts');
const namespace = one('Microsoft.ServiceBus/namespaces');
const vault = one('Microsoft.KeyVault/vaults');
const appInsights = one('Microsoft.Insights/components');

/** `@Microsoft.KeyVault(VaultName=…;SecretName=…)`: the platform resolves it with the app's identity. */
const keyVaultReference = (value: string | undefined) =>
  /^@Microsoft\.KeyVault\(VaultName=([^;]+);SecretName=([^;)]+)(;SecretVersion=[^)]+)?\)$/.exec(value ?? '');

/** The environment the Functions worker sees: app settings, Key Vault references resolved, platform settings. */
function workerEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(appSettings)) {
    env[name] = keyVaultReference(value) ? secretKeys : value;
  }
  env.WEBSITE_HOSTNAME = `${site.name}.azurewebsites.net`;
  return env;
}

describe('infra/azuredeploy.json: the Function App', () => {
  it('runs on the Flex Consumption plan (FC1), Linux', () => {
    const plan = one('Microsoft.Web/serverfarms');
    expect(plan.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(props(plan).reserved).toBe(true);
    expect(site.kind).toBe('functionapp,linux');
    expect(siteProps.serverFarmId).toBe(plan.id);
  });

  it('runs Node 22 (Functions v4: the only host version Flex Consumption offers), HTTPS only, TLS 1.2 at least', () => {
    const config = siteProps.functionAppConfig as Props;
    expect(config.runtime).toEqual({ name: 'node', version: '22' });
    expect(siteProps.httpsOnly).toBe(true);
    expect(siteConfig.minTlsVersion).toBe('1.2');
    // package.json's engines say the same.
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toMatch(/>=22 <23/);
  });

  it('has the user-assigned identity only, and uses it for the package, Key Vault references and every connection', () => {
    expect(site.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } });
    expect(siteProps.keyVaultReferenceIdentity).toBe(identity.id);
    const storageOfPackage = ((siteProps.functionAppConfig as Props).deployment as Props).storage as Props;
    expect(storageOfPackage.authentication).toEqual({
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: identity.id,
    });
    expect(appSettings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(appSettings.AzureWebJobsStorage__clientId).toBe(IDENTITY.clientId);
    expect(appSettings.SERVICEBUS_CONNECTION__credential).toBe('managedidentity');
    expect(appSettings.SERVICEBUS_CONNECTION__clientId).toBe(IDENTITY.clientId);
    expect(appSettings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(
      `ClientId=${IDENTITY.clientId};Authorization=AAD`,
    );
  });

  it('deploys its package to a private container of the storage account the template creates', () => {
    const storageOfPackage = ((siteProps.functionAppConfig as Props).deployment as Props).storage as Props;
    expect(storageOfPackage.type).toBe('blobContainer');
    const url = new URL(text(storageOfPackage.value));
    expect(url.hostname).toBe(`${storage.name}.blob.core.windows.net`);
    const container = one('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(container.name).toBe(`${storage.name}/default${url.pathname}`);
    expect(props(container).publicAccess).toBe('None');
  });

  it('sets every setting the app requires: its config loads from the app settings alone, on identity-based connections', () => {
    const config = loadConfig(workerEnvironment());
    expect(config.storage).toEqual({
      tableEndpoint: `https://${storage.name}.table.core.windows.net`,
      credential: { kind: 'managed-identity', clientId: IDENTITY.clientId },
      tablePrefix: '',
    });
    expect(config.serviceBus).toEqual({
      fullyQualifiedNamespace: `${namespace.name}.servicebus.windows.net`,
      credential: { kind: 'managed-identity', clientId: IDENTITY.clientId },
    });
    expect(config.auth).toMatchObject({
      audience: exampleValues.apiClientId,
      issuer: expect.stringMatching(/^https:\/\/login\.microsoftonline\.com\/[^/]+\/v2\.0$/) as unknown,
      jwksUri: expect.stringMatching(/\/discovery\/v2\.0\/keys$/) as unknown,
    });
    expect(config.portalOrigin).toBe(exampleValues.portalOrigin);
    expect(config.publicBaseUrl).toBe(`https://${site.name}.azurewebsites.net`);
    expect(config.secretKeys[0].id).toBe('k1');
  });

  it('gives every connection a trigger binding names its identity settings (host storage and Service Bus)', () => {
    // functions/register.ts registers the queue triggers; their `connection` is the settings prefix.
    const main = readFileSync(join(__dirname, '../../functions/register.ts'), 'utf8');
    const connections = [...main.matchAll(/connection:\s*'([A-Za-z0-9_]+)'/g)].map((m) => m[1] ?? '');
    expect(connections.length).toBeGreaterThan(0);
    for (const name of [...connections, 'AzureWebJobsStorage']) {
      const prefix = `${name}__`;
      expect(Object.keys(appSettings).filter((k) => k.startsWith(prefix)).length).toBeGreaterThan(0);
      expect(appSettings[`${name}__credential`]).toBe('managedidentity');
      expect(appSettings[name]).toBeUndefined();
    }
    expect(appSettings.AzureWebJobsStorage__accountName).toBe(storage.name);
    expect(appSettings.SERVICEBUS_CONNECTION__fullyQualifiedNamespace).toBe(
      `${namespace.name}.servicebus.windows.net`,
    );
  });

  it('sets nothing Flex Consumption refuses (the runtime and host version live in functionAppConfig)', () => {
    for (const name of [
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
    ]) {
      expect(appSettings[name]).toBeUndefined();
    }
  });
});

/** Every queue the code sends to: the sync queues and the schedule's shard work. */
const ALL_QUEUES = [...Object.values(QUEUES), SCHEDULE_QUEUE];

describe('infra/azuredeploy.json: queues', () => {
  it.each(ALL_QUEUES)(
    '%s: sessions, duplicate detection ≥ 10 minutes, max delivery count as the sync worker expects',
    (queue) => {
      const found = ofType('Microsoft.ServiceBus/namespaces/queues').find(
        (q) => q.name === `${namespace.name}/${queue}`,
      );
      expect(found).toBeDefined();
      const p = props(found);
      expect(p.requiresSession).toBe(true);
      expect(p.requiresDuplicateDetection).toBe(true);
      expect(isoMinutes(text(p.duplicateDetectionHistoryTimeWindow))).toBeGreaterThanOrEqual(10);
      expect(p.maxDeliveryCount).toBe(MAX_DELIVERY_COUNT);
      // A retry is scheduled up to 6 hours ahead (sync-worker): the messages must live longer.
      expect(isoMinutes(text(p.defaultMessageTimeToLive))).toBeGreaterThan(6 * 60);
    },
  );

  it('the namespace is Standard (sessions and duplicate detection) and takes no SAS key', () => {
    expect(namespace.sku).toMatchObject({ name: 'Standard' });
    expect(props(namespace).disableLocalAuth).toBe(true);
  });
});

describe('infra/azuredeploy.json: roles of the identity', () => {
  const assignments = ofType('Microsoft.Authorization/roleAssignments').map((r) => {
    const p = props(r);
    const roleId = text(p.roleDefinitionId).split('/').pop() ?? '';
    const scope = parseResourceId(`/subscriptions/s/resourceGroups/g/providers/${String(r.scope)}`);
    return { roleId, scopeType: scope.type, scopeName: scope.names.join('/'), principalId: p.principalId, p };
  });

  it('grants exactly the least roles the code needs, each on the one resource it is used on', () => {
    const granted = assignments.map((a) => `${a.roleId} ${a.scopeType}/${a.scopeName}`).sort();
    expect(granted).toEqual(
      [
        `${BUILT_IN_ROLES.storageBlobDataOwner} Microsoft.Storage/storageAccounts/${storage.name}`,
        `${BUILT_IN_ROLES.storageTableDataContributor} Microsoft.Storage/storageAccounts/${storage.name}`,
        `${BUILT_IN_ROLES.serviceBusDataSender} Microsoft.ServiceBus/namespaces/${namespace.name}`,
        `${BUILT_IN_ROLES.serviceBusDataReceiver} Microsoft.ServiceBus/namespaces/${namespace.name}`,
        `${BUILT_IN_ROLES.keyVaultSecretsUser} Microsoft.KeyVault/vaults/${vault.name}`,
        `${BUILT_IN_ROLES.monitoringMetricsPublisher} Microsoft.Insights/components/${appInsights.name}`,
      ].sort(),
    );
  });

  it('assigns them to the app identity, as a service principal, with built-in role definitions', () => {
    for (const a of assignments) {
      expect(a.principalId).toBe(IDENTITY.principalId);
      expect(a.p.principalType).toBe('ServicePrincipal');
      expect(text(a.p.roleDefinitionId)).toMatch(
        /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/,
      );
    }
    // Names are stable GUIDs, so a redeployment updates rather than duplicates.
    const names = ofType('Microsoft.Authorization/roleAssignments').map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('the resources those roles are on take Entra ID only: no shared key, no local auth, RBAC vault', () => {
    expect(props(storage).allowSharedKeyAccess).toBe(false);
    expect(props(storage).minimumTlsVersion).toBe('TLS1_2');
    expect(props(storage).allowBlobPublicAccess).toBe(false);
    expect(props(vault).enableRbacAuthorization).toBe(true);
    expect(props(vault).accessPolicies).toBeUndefined();
    expect(props(appInsights).DisableLocalAuth).toBe(true);
  });
});

describe('infra/azuredeploy.json: secrets', () => {
  it('keeps the encryption keys in Key Vault: SECRET_KEYS is a reference to the secret the template writes', () => {
    const ref = keyVaultReference(appSettings.SECRET_KEYS);
    expect(ref?.[1]).toBe(vault.name);
    const secret = one('Microsoft.KeyVault/vaults/secrets');
    expect(secret.name).toBe(`${vault.name}/${ref?.[2]}`);
    // Versionless, so a new version is picked up after a rotation (docs/deploy.md).
    expect(ref?.[3]).toBeUndefined();
    expect(props(secret).value).toBe(secretKeys);
  });

  it('takes the keys only as a secure parameter, and a redeployment without them leaves the vault as it is', () => {
    expect(template.parameters.secretKeys?.type.toLowerCase()).toBe('securestring');
    expect(example.parameters.secretKeys).toBeUndefined();
    const usages = raw.match(/parameters\('secretKeys'\)/g) ?? [];
    expect(usages).toHaveLength(2); // the secret's condition and its value
    const redeployed = evaluateTemplate(template, exampleValues);
    expect(redeployed.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets')).toHaveLength(
      0,
    );
  });

  it('writes no account key, SAS, connection string with a key or list*() call anywhere, outputs included', () => {
    for (const text of [raw, exampleRaw]) {
      expect(text).not.toMatch(
        /AccountKey=|SharedAccessKey|SharedAccessSignature|[?&]sig=|listKeys|listConnectionStrings|listSecrets|listAccountSas|listServiceSas/i,
      );
    }
    const outputs = JSON.stringify(template.outputs);
    expect(outputs).not.toMatch(/secretKeys|reference\([^)]*vaults|ConnectionString/i);
    for (const [name, value] of Object.entries(workerEnvironment())) {
      if (name === 'SECRET_KEYS') {
        continue;
      }
      // The App Insights connection string only names the resource (ingestion needs Entra ID here).
      expect(value).not.toMatch(/AccountKey|SharedAccessKey|sig=|password|secret/i);
    }
  });
});

describe('infra/azuredeploy.json: alerts', () => {
  const functionNames = buildFunctionTable(() => {
    throw new Error('no services: the table is only listed');
  }).map((f) => f.name);

  it('dead-lettered messages: a metric alert on every queue of the namespace', () => {
    const alert = one('Microsoft.Insights/metricAlerts');
    const p = props(alert);
    expect(p.scopes).toEqual([namespace.id]);
    const criterion = ((p.criteria as Props).allOf as Props[])[0];
    expect(criterion).toMatchObject({
      metricName: 'DeadletteredMessages',
      operator: 'GreaterThan',
      threshold: 0,
    });
    expect((criterion?.dimensions as Props[])[0]).toEqual({
      name: 'EntityName',
      operator: 'Include',
      values: ALL_QUEUES,
    });
  });

  it('sync error rate and failed notification deliveries: log alerts on the functions that exist', () => {
    const rules = ofType('Microsoft.Insights/scheduledQueryRules');
    expect(rules).toHaveLength(2);
    for (const rule of rules) {
      expect(props(rule).scopes).toEqual([appInsights.id]);
      const query = text(((props(rule).criteria as Props).allOf as Props[])[0]?.query);
      const named = [...query.matchAll(/\b(calendarSync|taskSync|graph\w*Notifications)\b/g)].map(
        (m) => m[1],
      );
      expect(named.length).toBeGreaterThan(0);
      for (const name of named) {
        expect(functionNames).toContain(name);
      }
    }
    const errorRate = rules.find((r) => r.name.endsWith('-sync-error-rate'));
    expect(text(((props(errorRate).criteria as Props).allOf as Props[])[0]?.query)).toMatch(/> 20$/);
  });

  it('every alert notifies the action group: a new one for alertEmail, or the one given', () => {
    const group = one('Microsoft.Insights/actionGroups');
    expect(props(group).emailReceivers).toEqual([
      expect.objectContaining({ emailAddress: exampleValues.alertEmail }) as unknown,
    ]);
    expect(props(one('Microsoft.Insights/metricAlerts')).actions).toEqual([{ actionGroupId: group.id }]);
    for (const rule of ofType('Microsoft.Insights/scheduledQueryRules')) {
      expect(props(rule).actions).toEqual({ actionGroups: [group.id] });
    }
    const given = '/subscriptions/x/resourceGroups/ops/providers/Microsoft.Insights/actionGroups/oncall';
    const withGiven = evaluateTemplate(template, { ...exampleValues, actionGroupId: given });
    expect(withGiven.resources.filter((r) => r.type === 'Microsoft.Insights/actionGroups')).toHaveLength(0);
    expect(
      props(withGiven.resources.find((r) => r.type === 'Microsoft.Insights/metricAlerts')).actions,
    ).toEqual([{ actionGroupId: given }]);
  });
});

/** Minutes of an ISO 8601 duration (PnDTnHnMnS). */
function isoMinutes(duration: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(duration);
  if (!m) {
    throw new Error(`Not an ISO 8601 duration: ${duration}`);
  }
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Number(d) * 1440 + Number(h) * 60 + Number(min) + Number(s) / 60;
}
