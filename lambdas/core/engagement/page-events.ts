import type { PagerEvent, PageSeverity } from '../engagement-ports';
import type { Incident } from '../incident';
import type { Severity } from '../policy/severity';

const SEVERITY: Record<Severity, PageSeverity> = { sev1: 'critical', sev2: 'error', sev3: 'warning', sev4: 'info' };

/** PagerDuty severity of an incident severity. */
export function pageSeverity(severity: Severity): PageSeverity {
  return SEVERITY[severity];
}

/** Links that go with a page: the incident page, the runbook and, once it exists, the Slack channel. */
export interface PageLinks {
  readonly incidentUrl?: string;
  readonly runbookUrl?: string;
  readonly channelUrl?: string;
}

/** Facts about the breach for `custom_details`. */
export interface BreachFacts {
  readonly objective?: string;
  readonly observedValue?: number;
  readonly burnRate?: number;
  readonly modelVersion?: string;
}

/**
 * The trigger event for an incident's page. The summary is built from the
 * SLO, service and model only: alert text may quote prompts, so none of it
 * goes to the pager.
 *
 * @example
 * await pager.send(triggerEvent(incident, { objective: '>= 99.9 %' }, { incidentUrl }));
 */
export function triggerEvent(incident: Incident, facts: BreachFacts = {}, links: PageLinks = {}): PagerEvent {
  const { slo, service, model } = incident.key;
  const linkList = [
    links.channelUrl === undefined ? undefined : { href: links.channelUrl, text: 'Slack incident channel' },
    links.runbookUrl === undefined ? undefined : { href: links.runbookUrl, text: 'Runbook' },
    links.incidentUrl === undefined ? undefined : { href: links.incidentUrl, text: `Incident ${incident.id}` },
  ].filter((l): l is { href: string; text: string } => l !== undefined);
  return {
    action: 'trigger',
    dedupKey: incident.id,
    // The incident id ends the summary: PagerDuty's webhooks carry the title, not the dedup key, and
    // that is how an acknowledgement or resolution made in PagerDuty finds its way back.
    summary: `[${incident.severity.toUpperCase()}] SLO ${slo} breached on ${service} (model ${model})${incident.mapped ? '' : ' – unmapped alert'}`.slice(0, 1000) + ` [${incident.id}]`,
    severity: pageSeverity(incident.severity),
    source: `firebreak/${service}`,
    component: model,
    group: service,
    class: slo,
    timestamp: incident.breachStartedAt,
    customDetails: {
      incident_id: incident.id,
      slo,
      objective: facts.objective ?? null,
      observed_value: facts.observedValue ?? null,
      burn_rate: facts.burnRate ?? null,
      model_version: facts.modelVersion ?? null,
      mapped: incident.mapped,
      breach_started_at: incident.breachStartedAt,
    },
    links: linkList,
  };
}

/** The acknowledge or resolve event for an incident's page (same `dedup_key` as the trigger). */
export function followUpEvent(incident: Incident, action: 'acknowledge' | 'resolve'): PagerEvent {
  return { action, dedupKey: incident.page?.dedupKey ?? incident.id };
}
