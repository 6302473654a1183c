import { AppError, isAppErrorCode, notFound, preconditionFailed, validationError } from '../errors/app-error';
import type { SecretBox } from '../crypto/secret-box';
import { compositeEtag, etagMatches, toHttpEtag, type EtagCondition } from '../http/etag';
import { GLOBAL_ID, type SettingsRecord, type SettingsRepository } from '../storage/settings-repository';
import {
  flatten,
  sealedSecret,
  resolve,
  SECRET_SECTIONS,
  type LeafPath,
  type FlatOverrides,
  type ResolvedSettings,
  type SecretSection,
  type StoredOverrides,
} from './model';
import { confirmJoin, deleteOrganization, requireOrganization, settledOrganization } from './membership';
import { isConditional, raceAware, retryLostRaces } from './races';
import { describe, toEffectiveRead, toRead } from './read';
import type { EffectiveSettingsRead, Level, SettingsLevelRead, SettingsWrite } from './schema';
import { applyWrite, type WriteMode } from './write';

/** The Entra ID application of a user's effective settings. */
export interface MicrosoftApp {
  clientId: string;
  tenantId: string;
  clientSecret: string;
  redirectUri: string;
}

/** Where the sync reaches Oro for a user: base URL and the integration user's OAuth client. */
export interface OroConnectionSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Setting oro.maxConcurrentRequests: the instance's shared budget (docs/budgets.md). */
  maxConcurrentRequests?: number;
}

/** One user's settings resolved across the three levels, secrets still sealed. */
export interface ResolvedUser {
  userId: string;
  resolved: ResolvedSettings;
  /** Global, organization, user: what the composite ETag of the effective read is made of. */
  etags: string[];
  organizationId: string | undefined;
  /**
   * The user names an organization whose row is gone (only a host that died between a
   * user's write and its check can leave this). Its level is missing from `resolved`;
   * effective settings and credentials refuse to resolve rather than fall back to global.
   */
  organizationMissing?: true;
}

export interface Preconditions {
  ifMatch?: EtagCondition;
  ifNoneMatch?: EtagCondition;
}

export interface SettingsView<T> {
  body: T;
  etag: string;
}

export type WriteResult = SettingsView<SettingsLevelRead> & { created: boolean };

/** Told after a level was written or deleted (the schedule carries a user's own settings). */
export interface SettingsListener {
  settingsChanged(level: Level, id: string): Promise<void>;
}

/** The settings use cases of API.md: read, replace, merge and delete a level; resolve a user. */
export class SettingsService {
  readonly listeners: SettingsListener[] = [];

  constructor(
    private readonly repository: SettingsRepository,
    private readonly secrets: SecretBox,
  ) {}

  async read(level: Level, id: string): Promise<SettingsView<SettingsLevelRead>> {
    const record = await this.load(level, id);
    if (!record) {
      throw notFound(describe(level, id) + ' does not exist');
    }
    return { body: toRead(level, record), etag: toHttpEtag(record.etag) };
  }

  async write(
    level: Level,
    id: string,
    body: SettingsWrite,
    mode: WriteMode,
    preconditions: Preconditions,
  ): Promise<WriteResult> {
    const result = await retryLostRaces(describe(level, id), isConditional(preconditions), async () => {
      const current = await this.load(level, id);
      checkPreconditions(current, preconditions);
      const organizationId = await this.organizationFor(level, current, body);
      const joining = organizationId !== undefined && organizationId !== current?.organizationId;
      const outcome = applyWrite(current?.overrides ?? {}, body, mode, (section, plaintext) =>
        this.secrets.seal(plaintext, secretContext(level, id, section)),
      );
      if (!outcome.ok) {
        throw validationError('The settings contain invalid values.', outcome.errors);
      }
      const data = {
        overrides: this.rotateSecrets(level, id, outcome.overrides),
        ...(organizationId === undefined ? {} : { organizationId }),
      };
      const saved = await raceAware(() =>
        current
          ? this.repository.replace(level, id, data, current.etag)
          : this.repository.create(level, id, data),
      );
      if (joining) {
        await confirmJoin(this.repository, id, organizationId, current);
      }
      return { body: toRead(level, saved), etag: toHttpEtag(saved.etag), created: !current };
    });
    await this.notify(level, id);
    return result;
  }

  /**
   * After the write: a listener that fails fails the request (the write stands), so the
   * caller's retry of the same write brings the listener up to date.
   */
  private async notify(level: Level, id: string): Promise<void> {
    for (const listener of this.listeners) {
      await listener.settingsChanged(level, id);
    }
  }

  async remove(level: Exclude<Level, 'global'>, id: string, preconditions: Preconditions): Promise<void> {
    await retryLostRaces(describe(level, id), isConditional(preconditions), async () => {
      const current = await this.repository.get(level, id);
      if (!current) {
        throw notFound(`${describe(level, id)} does not exist`);
      }
      checkPreconditions(current, preconditions);
      if (level === 'user') {
        await raceAware(() => this.repository.delete(level, id, current.etag));
        return;
      }
      await deleteOrganization(this.repository, id, current);
    });
    await this.notify(level, id);
  }

  /** Every leaf with its value and the level it came from. */
  async effective(userId: string): Promise<SettingsView<EffectiveSettingsRead>> {
    const user = await this.resolveUser(userId);
    requireOrganization(user);
    const { resolved, etags } = user;
    return { body: toEffectiveRead(resolved), etag: compositeEtag(etags) };
  }

  /** 404 unless the user has settings (and so belongs to an organization). */
  async requireUser(userId: string): Promise<void> {
    if (!(await this.repository.get('user', userId))) {
      throw notFound(`${describe('user', userId)} does not exist`);
    }
  }

  /** A user's own level (overrides and organization), undefined when the user does not exist. */
  async userLevel(
    userId: string,
  ): Promise<{ overrides: FlatOverrides; organizationId?: string } | undefined> {
    const user = await this.repository.get('user', userId);
    return (
      user && {
        overrides: flatten(user.overrides),
        ...(user.organizationId === undefined ? {} : { organizationId: user.organizationId }),
      }
    );
  }

  /** The global level (defaults included) and every organization's overrides, in one read. */
  async sharedLevels(): Promise<{ global: ResolvedSettings; organizations: Map<string, FlatOverrides> }> {
    const rows = await this.repository.listShared();
    const global = rows.find((r) => r.level === 'global')?.record.overrides ?? {};
    return {
      global: resolve({ global: flatten(global) }),
      organizations: new Map(
        rows.filter((r) => r.level === 'organization').map((r) => [r.id, flatten(r.record.overrides)]),
      ),
    };
  }

  /** Resolved settings of one user, secrets still sealed, with where each level came from. */
  async resolveUser(userId: string, shared?: SharedLevels): Promise<ResolvedUser> {
    const user = await this.repository.get('user', userId);
    if (!user) {
      throw notFound(`${describe('user', userId)} does not exist`);
    }
    const organizationId = user.organizationId;
    const [organization, global] = await Promise.all([
      organizationId
        ? memo(shared, `organization/${organizationId}`, () =>
            this.repository.get('organization', organizationId),
          )
        : undefined,
      memo(shared, 'global', () => this.ensureGlobal()),
    ]);
    const resolved = resolve({
      global: flatten(global.overrides),
      ...(organization ? { organization: flatten(organization.overrides) } : {}),
      user: flatten(user.overrides),
    });
    return {
      userId,
      resolved,
      etags: [global.etag, organization?.etag ?? '', user.etag],
      organizationId: user.organizationId,
      ...(organizationId && !organization ? { organizationMissing: true as const } : {}),
    };
  }

  /**
   * The Entra ID application a user connects through, secret decrypted. Nothing connects
   * until every field is set: the 409 names each missing one. Pass a user already
   * resolved to spare the three reads.
   */
  async microsoftApp(user: string | ResolvedUser): Promise<MicrosoftApp> {
    const c = this.credentials(
      typeof user === 'string' ? await this.resolveUser(user) : user,
      'microsoftApp',
      ['clientId', 'tenantId', 'redirectUri'],
      'The Microsoft app',
    );
    return {
      clientId: c.clientId!,
      tenantId: c.tenantId!,
      redirectUri: c.redirectUri!,
      clientSecret: c.clientSecret,
    };
  }

  /** The Oro API and integration client the sync uses for this user; 409 naming what is missing. */
  async oroConnection(user: string | ResolvedUser): Promise<OroConnectionSettings> {
    const resolvedUser = typeof user === 'string' ? await this.resolveUser(user) : user;
    const c = this.credentials(resolvedUser, 'oro', ['baseUrl', 'clientId'], 'The Oro API connection');
    const max = resolvedUser.resolved['oro.maxConcurrentRequests'].value;
    return {
      baseUrl: c.baseUrl!,
      clientId: c.clientId!,
      clientSecret: c.clientSecret,
      ...(typeof max === 'number' ? { maxConcurrentRequests: max } : {}),
    };
  }

  private credentials(
    user: ResolvedUser,
    section: SecretSection,
    fields: readonly string[],
    what: string,
  ): Record<string, string | undefined> & { clientSecret: string } {
    requireOrganization(user);
    const { userId, resolved, organizationId } = user;
    const leaf = (f: string) => resolved[`${section}.${f}` as LeafPath];
    const missing = [...fields, 'clientSecret'].filter((f) => leaf(f).value === null);
    if (missing.length > 0) {
      throw new AppError(
        'conflict',
        `${what} is not configured for user "${userId}": set ${missing.join(', ')} in the global or organization settings.`,
        { fieldErrors: missing.map((f) => ({ path: `${section}.${f}`, message: 'not set' })) },
      );
    }
    const secretLeaf = leaf('clientSecret');
    const sourceId = secretLeaf.source === 'organization' ? (organizationId ?? '') : GLOBAL_ID;
    const sealed = sealedSecret.parse(secretLeaf.value);
    return {
      ...Object.fromEntries(fields.map((f) => [f, String(leaf(f).value)])),
      clientSecret: this.secrets.open(sealed, secretContext(secretLeaf.source, sourceId, section)),
    };
  }

  private load(level: Level, id: string): Promise<SettingsRecord | undefined> {
    return level === 'global' ? this.ensureGlobal() : this.repository.get(level, id);
  }

  /** The global row always exists: it is created empty (all defaults) on first use. */
  private async ensureGlobal(): Promise<SettingsRecord> {
    const existing = await this.repository.get('global', GLOBAL_ID);
    if (existing) {
      return existing;
    }
    try {
      return await this.repository.create('global', GLOBAL_ID, { overrides: {} });
    } catch (error) {
      if (!isAppErrorCode(error, 'conflict')) {
        throw error;
      }
      const created = await this.repository.get('global', GLOBAL_ID);
      if (!created) {
        throw error;
      }
      return created;
    }
  }

  private async organizationFor(
    level: Level,
    current: SettingsRecord | undefined,
    body: SettingsWrite,
  ): Promise<string | undefined> {
    if (level !== 'user') {
      return undefined;
    }
    const organizationId = body.organizationId ?? current?.organizationId;
    if (organizationId === undefined) {
      throw validationError("A user's first write must name its organization.", [
        { path: 'organizationId', message: "required on the user's first write" },
      ]);
    }
    if (organizationId !== current?.organizationId) {
      if (!(await settledOrganization(this.repository, organizationId))) {
        throw notFound(`${describe('organization', organizationId)} does not exist`);
      }
    }
    return organizationId;
  }

  /** A secret kept across a write is re-sealed with the active key, so old keys can be retired. */
  private rotateSecrets(level: Level, id: string, overrides: StoredOverrides): StoredOverrides {
    const next = structuredClone(overrides);
    for (const section of SECRET_SECTIONS) {
      const sealed = next[section]?.clientSecret;
      if (sealed && this.secrets.needsRotation(sealed)) {
        const context = secretContext(level, id, section);
        next[section] = {
          ...next[section],
          clientSecret: this.secrets.seal(this.secrets.open(sealed, context), context),
        };
      }
    }
    return next;
  }
}

/**
 * Organization and global rows read once for many users (the timer resolves every due user
 * in one run); a new map per run, so a settings change is seen by the next run.
 */
export type SharedLevels = Map<string, Promise<SettingsRecord | undefined>>;

function memo<T extends SettingsRecord | undefined>(
  shared: SharedLevels | undefined,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  if (!shared) {
    return load();
  }
  let value = shared.get(key) as Promise<T> | undefined;
  if (!value) {
    value = load();
    shared.set(key, value);
  }
  return value;
}

export const secretContext = (level: Level, id: string, section: SecretSection): string =>
  `settings/${level}/${id}/${section}.clientSecret`;

function checkPreconditions(current: SettingsRecord | undefined, p: Preconditions): void {
  if (p.ifMatch !== undefined && !etagMatches(p.ifMatch, current?.etag)) {
    throw preconditionFailed(
      current
        ? 'If-Match does not match the current ETag; read the settings again'
        : 'If-Match given, but nothing exists yet',
    );
  }
  if (
    p.ifNoneMatch !== undefined &&
    current &&
    (p.ifNoneMatch === '*' || etagMatches(p.ifNoneMatch, current.etag))
  ) {
    throw preconditionFailed('If-None-Match: the settings already exist');
  }
}
