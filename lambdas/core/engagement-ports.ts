import type { Incident, IncidentChannelRef } from './incident';

/** PagerDuty Events API v2 severities. */
export type PageSeverity = 'critical' | 'error' | 'warning' | 'info';

/**
 * One event for the pager, vendor-neutral but shaped after PagerDuty's
 * Events API v2 (which is what on-call tools converge on).
 */
export interface PagerEvent {
  readonly action: 'trigger' | 'acknowledge' | 'resolve';
  /** Stable per incident: the incident id. */
  readonly dedupKey: string;
  /** Trigger only: one line, never prompt text. */
  readonly summary?: string;
  readonly severity?: PageSeverity;
  /** What is affected: `firebreak/<service>`. */
  readonly source?: string;
  /** The model. */
  readonly component?: string;
  /** The service. */
  readonly group?: string;
  /** The SLO. */
  readonly class?: string;
  readonly timestamp?: string;
  readonly customDetails?: Readonly<Record<string, string | number | boolean | null>>;
  readonly links?: readonly { readonly href: string; readonly text: string }[];
}

/** What the pager answered. */
export interface PagerReceipt {
  readonly dedupKey: string;
  /** The vendor's status/message, e.g. `success` / `Event processed`. */
  readonly status: string;
  readonly message: string;
  /** Attempts made, including the successful one. */
  readonly attempts: number;
}

/**
 * Pages on-call. Implementations retry transient failures within
 * `maxAttempts` (429 honouring the vendor's delay, 5xx, timeouts) and then
 * throw `VendorTransientError`; a rejection (400) throws
 * `VendorRejectedError` at once.
 */
export interface Pager {
  send(event: PagerEvent, options?: { readonly maxAttempts?: number }): Promise<PagerReceipt>;
}

/** Who is on call: e-mail addresses of the people currently on call. */
export interface OnCallDirectory {
  /** For the given escalation policies (all on-calls when empty). */
  onCallEmails(escalationPolicyIds: readonly string[]): Promise<string[]>;
}

/**
 * The incident's chat channel (Slack). Every method throws
 * `VendorTransientError` or `VendorRejectedError` on failure.
 */
export interface IncidentChannel {
  /**
   * Creates the channel `channelName(incident)` (a suffix is added when the
   * name is taken), sets its topic, posts the summary and pins it.
   */
  open(incident: Incident): Promise<IncidentChannelRef>;
  /** Invites users; users already in the channel are not an error. */
  invite(channel: IncidentChannelRef, userIds: readonly string[]): Promise<void>;
  /** The chat user id of an e-mail address, or undefined when there is no such user. */
  findUserByEmail(email: string): Promise<string | undefined>;
  /** Posts a line to the thread of the summary. */
  postToThread(channel: IncidentChannelRef, text: string): Promise<void>;
  /** Re-renders the pinned summary from the incident's current state. */
  updateSummary(channel: IncidentChannelRef, incident: Incident): Promise<void>;
}
