import type { Incident } from '../incident';

/**
 * The Slack channel name of an incident: `inc-<yyyymmdd>-<slo>-<short id>`,
 * lower case, only `a-z0-9-`, at most 80 characters (Slack's limits). With
 * `attempt` > 1 (the name was taken) a suffix `-2`, `-3`… is added.
 *
 * @example
 * channelName(incident) // => 'inc-20261121-adversarial-refusal-rate-5f2a9c1e'
 */
export function channelName(incident: Incident, attempt = 1): string {
  const day = incident.openedAt.slice(0, 10).replace(/-/g, '');
  const shortId = incident.id.slice(-8);
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const slo = incident.key.slo.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const room = 80 - `inc-${day}--${shortId}${suffix}`.length;
  return `inc-${day}-${slo.slice(0, room).replace(/-$/, '')}-${shortId}${suffix}`;
}
