/**
 * The header table of the draft: title, status, owner, incident, severity,
 * SLO, service and model, and links.
 */
import { code, safeUrl, utc, who } from './markdown-text';
import { askInline, section, type Section } from './section';
import { objective, type DraftContext } from './section-context';

/** The header fields, one section per placeholder. */
export function header(ctx: DraftContext): Record<'title' | 'status' | 'owner' | 'incident' | 'severity' | 'slo' | 'service_model' | 'links', Section> {
  const { incident, slo, links, now } = ctx.input;
  const incidentUrl = safeUrl(links?.incident);
  const linkList = [
    incident.channel === undefined ? undefined : `Slack ${safeUrl(links?.channel) === undefined ? code(`#${incident.channel.name}`) : `[#${ctx.clean(incident.channel.name, 'title', 80)}](${safeUrl(links?.channel)})`}`,
    safeUrl(slo?.runbook_url) === undefined ? undefined : `[runbook](${safeUrl(slo?.runbook_url)})`,
    safeUrl(links?.dashboard) === undefined ? undefined : `[dashboard](${safeUrl(links?.dashboard)})`,
  ].filter((l) => l !== undefined);
  const commander = incident.roles?.commander;
  return {
    title: section([ctx.clean(incident.title, 'title', 160) || incident.id]),
    status: section([`Draft, written by Firebreak from the incident record at ${utc(now.toISOString())} UTC (incident ${incident.status})`]),
    owner: commander === undefined ? section([], [askInline('who owns this postmortem?')]) : section([`${who(commander)} (incident commander)`]),
    incident: section([incidentUrl === undefined ? code(incident.id) : `[${incident.id}](${incidentUrl})`]),
    severity: section([incident.severity]),
    slo: section([slo === undefined ? 'none: unmapped alert, default policy' : `${code(slo.id)}: ${objective(slo)}`]),
    service_model: section([`${code(incident.key.service)} / ${code(incident.key.model)}`]),
    links: linkList.length === 0 ? section([], [askInline('links to dashboards, tickets, the chat log')]) : section([linkList.join(' · ')]),
  };
}
