import { IncidentNotFoundError } from '../errors';
import { firebreakEntry, mutateIncident } from '../mutate-incident';
import type { LifecycleOrigin } from '../ports';
import type { EngagementDeps } from './deps';
import { followUpEvent } from './page-events';

/**
 * Sends the acknowledge or resolve event for an incident's page. Skipped,
 * with a timeline entry, when the change came from PagerDuty itself or no
 * page was ever triggered. Vendor errors propagate (the workflow retries
 * transient ones and records the rest).
 *
 * @example
 * await followUpPage(deps, { incidentId, via: 'slack', by: 'U123' }, 'resolve');
 */
export async function followUpPage(deps: EngagementDeps, origin: LifecycleOrigin, action: 'acknowledge' | 'resolve'): Promise<{ sent: boolean; detail: string }> {
  const incident = await deps.store.get(origin.incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(origin.incidentId);
  const page = incident.page;
  const done = action === 'resolve' ? 'resolved' : 'acknowledged';
  let skip: string | undefined;
  if (origin.via === 'pagerduty') skip = `the page was ${done} in PagerDuty itself`;
  else if (page === undefined || page.status === 'failed') skip = 'no page was triggered';
  else if (page.status === 'resolved' || (action === 'acknowledge' && page.status === 'acknowledged')) skip = `the page is ${page.status} already`;
  if (skip !== undefined) return { sent: false, detail: skip };

  const receipt = await deps.pager.send(followUpEvent(incident, action), { maxAttempts: 3 });
  await mutateIncident(deps, incident.id, (current, now) => ({
    changes: { page: { ...(current.page ?? { dedupKey: receipt.dedupKey, attempts: 0 }), status: done } },
    entries: [firebreakEntry(current.id, `${current.id}:page.${done}`, `page.${done}`, `Page ${done} in PagerDuty (${receipt.message})`, now)],
  }));
  return { sent: true, detail: receipt.message };
}

/**
 * Tells the incident channel about a lifecycle change: a line in the
 * summary's thread and a re-rendered pinned summary. Without a channel,
 * nothing to do.
 */
export async function updateIncidentChannel(deps: EngagementDeps, origin: LifecycleOrigin, event: 'acknowledged' | 'resolved'): Promise<{ updated: boolean }> {
  const incident = await deps.store.get(origin.incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(origin.incidentId);
  if (incident.channel === undefined) return { updated: false };
  const who = origin.via === 'slack' ? `<@${origin.by}>` : origin.via === 'pagerduty' ? `${origin.by} in PagerDuty` : `the ${origin.by} alert clearing`;
  const reason = event === 'resolved' && incident.resolution?.reason ? `: ${incident.resolution.reason}` : '';
  await deps.channel.postToThread(incident.channel, `Incident ${event} by ${who}${reason}`);
  await deps.channel.updateSummary(incident.channel, incident);
  await deps.store.appendTimeline([
    firebreakEntry(incident.id, `${incident.id}:channel.updated:${event}`, 'channel.updated', `Slack channel told: ${event}`, deps.clock.now()),
  ]);
  return { updated: true };
}

/**
 * Tells the incident channel that an alert joined (fires) or left (resolved)
 * the incident, with the count still firing. Only the alert's name: alert
 * text can quote prompts. Without a channel, nothing to do.
 *
 * @example
 * await announceAlert(deps, origin, { name: 'PromptInjectionDetected', status: 'firing' });
 */
export async function announceAlert(
  deps: EngagementDeps,
  origin: LifecycleOrigin,
  alert: { readonly name: string; readonly status: 'firing' | 'resolved' },
): Promise<{ updated: boolean }> {
  const incident = await deps.store.get(origin.incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(origin.incidentId);
  if (incident.channel === undefined) return { updated: false };
  const alerts = Object.values(incident.alerts);
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const verb = alert.status === 'firing' ? 'is firing' : 'resolved';
  await deps.channel.postToThread(incident.channel, `${origin.by} alert ${alert.name} ${verb}: ${firing} of ${alerts.length} alert(s) of this incident firing`);
  return { updated: true };
}

/** Tells the incident channel what a rollback did, and re-renders the pinned summary. */
export async function announceRollback(deps: EngagementDeps, origin: LifecycleOrigin, detail: string): Promise<{ updated: boolean }> {
  const incident = await deps.store.get(origin.incidentId);
  if (incident === undefined) throw new IncidentNotFoundError(origin.incidentId);
  if (incident.channel === undefined) return { updated: false };
  const who = origin.via === 'slack' ? `<@${origin.by}>` : origin.by;
  await deps.channel.postToThread(incident.channel, `Rollback approved by ${who}: ${detail}`);
  await deps.channel.updateSummary(incident.channel, incident);
  return { updated: true };
}
