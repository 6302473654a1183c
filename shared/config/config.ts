import { z } from 'zod';

/** A 256-bit AES key with the id stored beside every ciphertext, so keys can rotate. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

const keyList = z
  .string()
  .min(1)
  .transform((raw, ctx): SecretKey[] => {
    const keys: SecretKey[] = [];
    for (const part of raw.split(',').map((p) => p.trim())) {
      const match = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(part);
      const key = match?.[2] ? Buffer.from(match[2], 'base64') : undefined;
      if (!match?.[1] || !key || key.length !== 32) {
        // The value is a secret: say what is wrong with it, never echo it.
        ctx.addIssue({
          code: 'custom',
          message: 'expected "keyId:<base64 of 32 bytes>" entries, comma separated',
        });
        return z.NEVER;
      }
      if (keys.some((k) => k.id === match[1])) {
        ctx.addIssue({ code: 'custom', message: `key id "${match[1]}" appears twice` });
        return z.NEVER;
      }
      keys.push({ id: match[1], key });
    }
    return keys;
  });

/** `managedidentity` is the one value the Functions host defines for `<connection>__credential`. */
const credentialSetting = z.enum(['managedidentity']).optional();
const clientIdSetting = z.uuid('the client id (a GUID) of the user-assigned managed identity').optional();

const envSchema = z.object({
  STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  // Identity-based connection, named as the Functions host names its own (AzureWebJobsStorage__…).
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__accountName: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, 'a storage account name: 3-24 lower-case letters and digits')
    .optional(),
  AzureWebJobsStorage__credential: credentialSetting,
  AzureWebJobsStorage__clientId: clientIdSetting,
  TABLE_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,20}$/, 'letters and digits, starting with a letter, at most 21')
    .optional(),
  SECRET_KEYS: keyList,
  AUTH_ISSUER: z.url(),
  AUTH_AUDIENCE: z.string().min(1),
  AUTH_JWKS_URI: z.url(),
  AUTH_ADMIN_ROLE: z.string().min(1).default('Sync.Admin'),
  PORTAL_ORIGIN: z
    .url()
    .refine((v) => new URL(v).origin === v.replace(/\/$/, ''), 'an origin: scheme, host and port, no path'),
  MICROSOFT_AUTHORITY_HOST: z.url().default('https://login.microsoftonline.com'),
  GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com'),
  PUBLIC_BASE_URL: z
    .url()
    .refine((v) => /^https:|^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(v), 'https, or http on localhost')
    .optional(),
  WEBSITE_HOSTNAME: z.string().optional(),
  SERVICEBUS_CONNECTION_STRING: z
    .string()
    .regex(
      /(^|;)\s*Endpoint=sb:\/\/[^;]+/i,
      'a Service Bus connection string: Endpoint=sb://…;SharedAccessKeyName=…;…',
    )
    .optional(),
  // The queue trigger's identity-based connection (binding "connection": "SERVICEBUS_CONNECTION").
  SERVICEBUS_CONNECTION__fullyQualifiedNamespace: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'a host name: <namespace>.servicebus.windows.net')
    .optional(),
  SERVICEBUS_CONNECTION__credential: credentialSetting,
  SERVICEBUS_CONNECTION__clientId: clientIdSetting,
  CALENDAR_WINDOW_PAST_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  CALENDAR_WINDOW_FUTURE_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  SCHEDULE_SHARDS: z.coerce.number().int().min(1).max(1000).default(32),
  SCHEDULE_PARTITION_OPS_PER_SECOND: z.coerce.number().int().min(50).max(2000).default(800),
  NOTIFICATION_POLL_SAFETY_MINUTES: z.coerce.number().int().min(0).max(10_080).default(360),
  /** Writes one sync run makes before it saves its progress and queues its continuation. */
  SYNC_RUN_MAX_WRITES: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** Seconds after which a sync run starts no more writes (the queue lock lasts 5 minutes). */
  SYNC_RUN_MAX_SECONDS: z.coerce.number().int().min(10).max(270).default(180),
});

/**
 * How the app gets Entra ID tokens for Storage and Service Bus: the Function App's managed
 * identity (a user-assigned one by its client id), or DefaultAzureCredential (a developer's
 * `az login`, workload identity, …) when no credential kind is set.
 */
export type AzureCredentialConfig = { kind: 'managed-identity'; clientId?: string } | { kind: 'default' };

/** Table Storage: a connection string (Azurite, or an account key) or an endpoint and a token credential. */
export type TableStorageConfig =
  { connectionString: string } | { tableEndpoint: string; credential: AzureCredentialConfig };

/** Service Bus: a connection string (the local emulator, or SAS) or a namespace and a token credential. */
export type ServiceBusConfig =
  { connectionString: string } | { fullyQualifiedNamespace: string; credential: AzureCredentialConfig };

export interface AppConfig {
  storage: TableStorageConfig & { tablePrefix: string };
  /** The first key encrypts; every key listed can decrypt. */
  secretKeys: readonly [SecretKey, ...SecretKey[]];
  auth: { issuer: string; audience: string; jwksUri: string; adminRole: string };
  /** The admin portal's origin: the only window the OAuth callback page talks to. */
  portalOrigin: string;
  microsoft: { authorityHost: string; graphBaseUrl: string };
  /**
   * Where Microsoft Graph reaches this service (change notifications). Undefined: no
   * subscriptions are made and Microsoft → Oro changes arrive by polling only.
   */
  publicBaseUrl: string | undefined;
  /** The namespace holding the calendar-sync and task-sync queues (the trigger binding's setting too). */
  serviceBus: ServiceBusConfig;
  /** Days before and after today that calendar sync covers. */
  calendarWindow: { pastDays: number; futureDays: number };
  /**
   * Shards of a new schedule (fixed once the schedule exists), and the table operations per
   * second a shard worker makes on its partition (docs/scheduling.md).
   */
  schedule: { shards: number; partitionOpsPerSecond: number };
  /**
   * A scheduled run whose Graph subscription is live and has notified nothing since the last
   * Microsoft read skips that read, until the last read is this old (0: never skips).
   */
  notificationPollSafetyMinutes: number;
  /**
   * How much one sync run writes, and for how long, before it saves its progress and queues
   * its continuation (docs/bounded-runs.md).
   */
  runBounds: { maxWrites: number; maxRunMs: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment once; a bad setting stops start-up with every problem named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const input = {
    ...env,
    STORAGE_CONNECTION_STRING: env.STORAGE_CONNECTION_STRING ?? env.AzureWebJobsStorage,
    SERVICEBUS_CONNECTION_STRING: env.SERVICEBUS_CONNECTION_STRING ?? env.SERVICEBUS_CONNECTION,
  };
  const parsed = envSchema.safeParse(input);
  // Which connection is missing is judged on presence alone, so it is named beside every other problem.
  const e = parsed.success ? parsed.data : (input as Env);
  const storage = tableStorage(e);
  const serviceBus = serviceBusConnection(e);
  const missing = [storage, serviceBus].filter((c): c is string => typeof c === 'string');
  if (!parsed.success || missing.length > 0) {
    const problems = [
      ...(parsed.error?.issues ?? []).map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`),
      ...missing,
    ];
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const [first, ...rest] = e.SECRET_KEYS;
  if (!first) {
    throw new ConfigError('Invalid configuration:\n  SECRET_KEYS: at least one key is required');
  }
  return {
    storage: { ...(storage as TableStorageConfig), tablePrefix: e.TABLE_PREFIX ?? '' },
    secretKeys: [first, ...rest],
    auth: {
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      jwksUri: e.AUTH_JWKS_URI,
      adminRole: e.AUTH_ADMIN_ROLE,
    },
    portalOrigin: new URL(e.PORTAL_ORIGIN).origin,
    microsoft: {
      authorityHost: e.MICROSOFT_AUTHORITY_HOST.replace(/\/+$/, ''),
      graphBaseUrl: e.GRAPH_BASE_URL.replace(/\/+$/, ''),
    },
    // On Azure, the app's own host name is the default (set by the platform).
    publicBaseUrl:
      e.PUBLIC_BASE_URL?.replace(/\/+$/, '') ??
      (e.WEBSITE_HOSTNAME ? `https://${e.WEBSITE_HOSTNAME}` : undefined),
    serviceBus: serviceBus as ServiceBusConfig,
    calendarWindow: { pastDays: e.CALENDAR_WINDOW_PAST_DAYS, futureDays: e.CALENDAR_WINDOW_FUTURE_DAYS },
    schedule: { shards: e.SCHEDULE_SHARDS, partitionOpsPerSecond: e.SCHEDULE_PARTITION_OPS_PER_SECOND },
    notificationPollSafetyMinutes: e.NOTIFICATION_POLL_SAFETY_MINUTES,
    runBounds: { maxWrites: e.SYNC_RUN_MAX_WRITES, maxRunMs: e.SYNC_RUN_MAX_SECONDS * 1000 },
  };
}

type Env = z.infer<typeof envSchema>;

function credential(
  kind: 'managedidentity' | undefined,
  clientId: string | undefined,
): AzureCredentialConfig {
  if (kind === 'managedidentity' || clientId) {
    return clientId ? { kind: 'managed-identity', clientId } : { kind: 'managed-identity' };
  }
  return { kind: 'default' };
}

/** A connection string wins (Azurite, local runs); else the identity-based settings; else what is missing, named. */
function tableStorage(e: Env): TableStorageConfig | string {
  if (e.STORAGE_CONNECTION_STRING) {
    return { connectionString: e.STORAGE_CONNECTION_STRING };
  }
  const endpoint =
    e.AzureWebJobsStorage__tableServiceUri ??
    (e.AzureWebJobsStorage__accountName
      ? `https://${e.AzureWebJobsStorage__accountName}.table.core.windows.net`
      : undefined);
  if (!endpoint) {
    return (
      'STORAGE_CONNECTION_STRING: Table Storage is not configured: set a connection string ' +
      '(STORAGE_CONNECTION_STRING or AzureWebJobsStorage) or an identity-based connection ' +
      '(AzureWebJobsStorage__tableServiceUri or AzureWebJobsStorage__accountName, with ' +
      'AzureWebJobsStorage__credential=managedidentity and AzureWebJobsStorage__clientId on Azure)'
    );
  }
  return {
    tableEndpoint: endpoint.replace(/\/+$/, ''),
    credential: credential(e.AzureWebJobsStorage__credential, e.AzureWebJobsStorage__clientId),
  };
}

function serviceBusConnection(e: Env): ServiceBusConfig | string {
  if (e.SERVICEBUS_CONNECTION_STRING) {
    return { connectionString: e.SERVICEBUS_CONNECTION_STRING };
  }
  if (!e.SERVICEBUS_CONNECTION__fullyQualifiedNamespace) {
    return (
      'SERVICEBUS_CONNECTION_STRING: Service Bus is not configured: set a connection string ' +
      '(SERVICEBUS_CONNECTION_STRING or SERVICEBUS_CONNECTION) or an identity-based connection ' +
      '(SERVICEBUS_CONNECTION__fullyQualifiedNamespace, with SERVICEBUS_CONNECTION__credential=managedidentity ' +
      'and SERVICEBUS_CONNECTION__clientId on Azure)'
    );
  }
  return {
    fullyQualifiedNamespace: e.SERVICEBUS_CONNECTION__fullyQualifiedNamespace,
    credential: credential(e.SERVICEBUS_CONNECTION__credential, e.SERVICEBUS_CONNECTION__clientId),
  };
}
