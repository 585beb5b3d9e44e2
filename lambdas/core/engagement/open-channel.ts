import { harvestAnnouncement } from '../corpus/announce';
import { IncidentNotFoundError, VendorRejectedError, VendorTransientError } from '../errors';
import type { IncidentChannelRef, TimelineEntry } from '../incident';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import { sloOf, type EngagementDeps } from './deps';

const isVendorError = (error: unknown): error is VendorTransientError | VendorRejectedError =>
  error instanceof VendorTransientError || error instanceof VendorRejectedError;

/**
 * Who to invite: the people on call for the SLO's escalation policy (found
 * by e-mail in the chat directory) and the configured responders. Missing
 * data degrades to timeline entries, never to a failure.
 */
async function invitees(deps: EngagementDeps, escalationPolicy: string | undefined, notes: { kind: string; message: string }[]): Promise<string[]> {
  const ids = new Set(deps.responders);
  if (deps.onCall === undefined) {
    notes.push({ kind: 'oncall.unknown', message: 'No on-call directory configured (PAGERDUTY_API_TOKEN): only the configured responders are invited' });
    return [...ids];
  }
  let emails: string[] = [];
  try {
    emails = await deps.onCall.onCallEmails(escalationPolicy === undefined ? [] : [escalationPolicy]);
  } catch (error) {
    if (!isVendorError(error)) throw error;
    notes.push({ kind: 'oncall.lookup-failed', message: `Could not look up who is on call: ${error.message}` });
  }
  if (emails.length === 0) notes.push({ kind: 'oncall.none', message: `Nobody found on call${escalationPolicy === undefined ? '' : ` for escalation policy ${escalationPolicy}`}` });
  for (const email of emails) {
    try {
      const id = await deps.channel.findUserByEmail(email);
      if (id === undefined) notes.push({ kind: 'oncall.not-in-chat', message: `The on-call engineer ${email} has no Slack account with that e-mail` });
      else ids.add(id);
    } catch (error) {
      if (!isVendorError(error)) throw error;
      notes.push({ kind: 'oncall.lookup-failed', message: `Could not look up ${email} in Slack: ${error.message}` });
    }
  }
  return [...ids];
}

/**
 * Opens the incident channel: creates it (topic, pinned summary), links it
 * to the incident and invites on-call and responders. The page is not sent
 * again to add the channel link: one incident, one trigger (the incident
 * page linked from the trigger shows the channel). Idempotent: an incident with a channel keeps it.
 * Channel creation failures are thrown (the workflow retries transient ones);
 * invitation and lookup failures only go on the timeline.
 *
 * @example
 * const channel = await openIncidentChannel(deps, incidentId);
 */
export async function openIncidentChannel(deps: EngagementDeps, incidentId: string): Promise<IncidentChannelRef> {
  const incident = await deps.store.get(incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(incidentId);
  if (incident.channel !== undefined) return incident.channel;

  const ref = await deps.channel.open(incident);
  await deps.store.linkChannel(ref.id, incident.id);
  const opened = await mutateIncident(deps, incidentId, (current, now) => ({
    changes: { channel: ref },
    entries: [firebreakEntry(current.id, `${current.id}:channel.opened`, 'channel.opened', `Slack channel #${ref.name} opened`, now, { channelId: ref.id })],
  }));

  const notes: { kind: string; message: string }[] = [];
  const users = await invitees(deps, sloOf(deps.policy, opened)?.escalation_policy ?? deps.policy.default.escalation_policy, notes);
  if (users.length > 0) {
    try {
      await deps.channel.invite(ref, users);
      notes.push({ kind: 'channel.invited', message: `Invited ${users.length} responder(s): ${users.map((u) => `<@${u}>`).join(', ')}` });
    } catch (error) {
      if (!isVendorError(error)) throw error;
      notes.push({ kind: 'channel.invite-failed', message: `Inviting responders failed: ${error.message}` });
    }
  }
  const now = deps.clock.now();
  const entries: TimelineEntry[] = notes.map((n, i) => firebreakEntry(incidentId, `${incidentId}:${n.kind}:${now.toISOString()}:${i}`, n.kind, n.message, now));
  await deps.store.appendTimeline(entries);
  // Regression cases harvested before the channel existed (the harvest runs beside this branch).
  for (const harvest of (await deps.store.timeline(incidentId)).filter((e) => e.kind === 'corpus.harvested')) {
    const lines = Array.isArray(harvest.data?.cases) ? harvest.data.cases.filter((l): l is string => typeof l === 'string') : [];
    if (lines.length > 0) await deps.channel.postToThread(ref, harvestAnnouncement(lines, typeof harvest.data?.link === 'string' ? harvest.data.link : undefined));
  }
  return ref;
}
