import type { IncidentChannel, OnCallDirectory, Pager } from '../engagement-ports';
import type { Incident } from '../incident';
import type { Policy, Slo } from '../policy/schema';
import type { Clock, IncidentStore } from '../ports';

/** What the paging and channel steps need. */
export interface EngagementDeps {
  readonly store: IncidentStore;
  readonly clock: Clock;
  readonly pager: Pager;
  readonly channel: IncidentChannel;
  /** Who is on call; without it only the configured responders are invited. */
  readonly onCall?: OnCallDirectory;
  readonly policy: Policy;
  /** Slack user ids always invited to incident channels (`FIREBREAK_RESPONDERS`, users only). */
  readonly responders: readonly string[];
  /** Base URL of Firebreak's pages, for links (`FIREBREAK_PUBLIC_URL`). */
  readonly publicUrl?: string;
}

/** The SLO of an incident, or undefined for unmapped incidents (default policy). */
export function sloOf(policy: Policy, incident: Incident): Slo | undefined {
  return incident.mapped ? policy.slos.find((s) => s.id === incident.key.slo) : undefined;
}

/** The incident's page URL, when Firebreak's public URL is known. */
export function incidentUrl(deps: Pick<EngagementDeps, 'publicUrl'>, incident: Incident): string | undefined {
  return deps.publicUrl === undefined ? undefined : `${deps.publicUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(incident.id)}/page`;
}

/** `>= 99.9 %`, `<= 500 ms`…: the objective as people read it. */
export function objectiveText(slo: Slo | undefined): string | undefined {
  if (slo === undefined) return undefined;
  const op = { gte: '>=', lte: '<=', eq: '==' }[slo.objective.comparator];
  const unit = slo.sli.unit;
  const value = unit === 'ratio' ? `${+(slo.objective.target * 100).toFixed(4)} %` : `${slo.objective.target}${unit === 'count' || unit === 'score' ? '' : ` ${unit}`}`;
  return `${op} ${value}`;
}
