import type { WebClient } from '@slack/web-api';
import { slackVendorError } from './slack-incident-channel';

/** Options of {@link SlackUserGroups}. */
export interface SlackUserGroupsOptions {
  /**
   * How long a group's member list is reused, in milliseconds. Responders
   * change rarely; a short cache keeps the 3-second budget of Slack requests.
   *
   * @default 60_000
   */
  readonly ttlMs?: number;
  /** Milliseconds since the epoch (injectable for tests). @default Date.now */
  readonly now?: () => number;
}

/**
 * Members of Slack user groups (`usergroups.users.list`), for
 * `FIREBREAK_RESPONDERS` entries that name a group (`S…`). Needs the
 * `usergroups:read` scope. A failed lookup throws Firebreak's vendor errors
 * (`VendorTransientError`, `VendorRejectedError` with Slack's error code) and
 * is not cached.
 *
 * @example
 * const groups = new SlackUserGroups(createSlackWebClient({ token, slackApiUrl, timeoutMs: 1500 }));
 * const allowed = await isAllowed(userId, incident, responders, (id) => groups.members(id));
 */
export class SlackUserGroups {
  private readonly cache = new Map<string, { readonly until: number; readonly members: Promise<string[]> }>();

  constructor(
    private readonly client: WebClient,
    private readonly options: SlackUserGroupsOptions = {},
  ) {}

  /** User ids of the group's members. */
  members(groupId: string): Promise<string[]> {
    const now = (this.options.now ?? Date.now)();
    const cached = this.cache.get(groupId);
    if (cached !== undefined && cached.until > now) return cached.members;
    const members = this.client.usergroups.users.list({ usergroup: groupId }).then(
      (out) => out.users ?? [],
      (error: unknown) => {
        throw slackVendorError('usergroups.users.list', error);
      },
    );
    const entry = { until: now + (this.options.ttlMs ?? 60_000), members };
    this.cache.set(groupId, entry);
    members.catch(() => {
      if (this.cache.get(groupId) === entry) this.cache.delete(groupId);
    });
    return members;
  }
}
