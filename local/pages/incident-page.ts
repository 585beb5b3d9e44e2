/**
 * `GET /incidents/{id}/page`: one incident — summary, the actions taken on
 * the model (before → after), the timeline, the postmortem from the records
 * repository and the regression cases harvested for it.
 *
 * Incident titles, timeline messages and alert names can quote what an
 * attacker sent: every piece of text is escaped, and a regression case shows
 * only its id, taxonomy and a short excerpt of its redacted input.
 */
import type { ControlSnapshot, Incident, IncidentAction, TimelineEntry } from '../../lambdas/core/incident';
import { durationElement, escapeHtml, layoutPage, statusBadge, timeElement } from './layout';
import { renderMarkdown } from './markdown';
import { chartUrl, type RegressionCaseView, type UnreadableRecord } from './records-views';

/** The incident's postmortem as found in the records repository. */
export type PostmortemState =
  | { readonly state: 'drafted'; readonly path: string; readonly markdown: string }
  | { readonly state: 'missing'; readonly path: string }
  /** No records repository is configured. */
  | { readonly state: 'unavailable' };

/** The regression cases harvested for the incident. */
export type RegressionCasesState =
  | { readonly state: 'listed'; readonly cases: readonly RegressionCaseView[]; readonly unreadable: readonly UnreadableRecord[] }
  /** No records repository is configured. */
  | { readonly state: 'unavailable' };

/** Everything the incident page shows. */
export interface IncidentPageData {
  readonly incident: Incident;
  readonly timeline: readonly TimelineEntry[];
  readonly postmortem: PostmortemState;
  readonly cases: RegressionCasesState;
}

const ACTION_LABELS: Record<IncidentAction['action'], string> = {
  kill_switch: 'Kill switch',
  degrade_to_safe_mode: 'Safe mode',
  route_to_human_review: 'Human review',
  rollback: 'Rollback',
};

const onOff = (value: boolean): string => (value ? 'on' : 'off');

/** The fields of a control snapshot people read, in order. */
const SNAPSHOT_FIELDS: readonly { label: string; show: (s: ControlSnapshot) => string }[] = [
  { label: 'serving version', show: (s) => s.activeVersion },
  { label: 'kill switch', show: (s) => onOff(s.killSwitch) },
  { label: 'safe mode', show: (s) => onOff(s.safeMode) },
  { label: 'human review', show: (s) => onOff(s.humanReview) },
];

function change(action: IncidentAction): string {
  const changed = SNAPSHOT_FIELDS.filter((f) => f.show(action.before) !== f.show(action.after));
  if (changed.length === 0) {
    return `no change <span class="muted">(${SNAPSHOT_FIELDS.map((f) => `${f.label} ${escapeHtml(f.show(action.after))}`).join(', ')})</span>`;
  }
  return `<ul>${changed.map((f) => `<li>${f.label}: ${escapeHtml(f.show(action.before))} → ${escapeHtml(f.show(action.after))}</li>`).join('')}</ul>`;
}

function fact(term: string, value: string | undefined): string {
  return value === undefined ? '' : `<dt>${term}</dt><dd>${value}</dd>`;
}

const time = (iso: string | undefined): string | undefined => (iso === undefined ? undefined : timeElement(iso));

function summary(incident: Incident): string {
  const alerts = Object.values(incident.alerts);
  const roles = Object.entries(incident.roles ?? {}).filter(([, who]) => who !== undefined);
  const facts = [
    fact('Status', statusBadge(incident.status)),
    fact('Severity', escapeHtml(incident.severity)),
    fact('SLO', `${escapeHtml(incident.key.slo)}${incident.mapped ? '' : ' <span class="muted">(unmapped alert: default policy)</span>'}`),
    fact('Service', escapeHtml(incident.key.service)),
    fact('Model', `${escapeHtml(incident.key.model)}${incident.modelVersion === undefined ? '' : ` (version ${escapeHtml(incident.modelVersion)})`}`),
    fact('Observed value', incident.observedValue === undefined ? undefined : escapeHtml(String(incident.observedValue))),
    fact('Breach began', time(incident.breachStartedAt)),
    fact('Opened', time(incident.openedAt)),
    fact('Confirmed', time(incident.confirmedAt)),
    fact('Acknowledged', time(incident.acknowledgedAt)),
    fact('Mitigated', time(incident.mitigatedAt)),
    fact('Resolved', time(incident.resolvedAt)),
    fact('Closed', time(incident.closedAt)),
    fact('Time to acknowledge', durationElement(incident.openedAt, incident.acknowledgedAt)),
    fact('Time to resolve', durationElement(incident.openedAt, incident.resolvedAt)),
    fact(
      'Page',
      incident.page === undefined
        ? undefined
        : `${escapeHtml(incident.page.status)} after ${incident.page.attempts} attempt${incident.page.attempts === 1 ? '' : 's'}${incident.page.lastError === undefined ? '' : ` <span class="muted">(last error: ${escapeHtml(incident.page.lastError)})</span>`}`,
    ),
    fact('Slack channel', incident.channel === undefined ? undefined : `#${escapeHtml(incident.channel.name)}`),
    fact('Roles', roles.length === 0 ? undefined : roles.map(([role, who]) => `${escapeHtml(role)}: ${escapeHtml(String(who))}`).join(', ')),
    fact(
      'Resolution',
      incident.resolution === undefined
        ? undefined
        : `by ${escapeHtml(incident.resolution.by)} via ${escapeHtml(incident.resolution.via)}${incident.resolution.reason === undefined ? '' : `: ${escapeHtml(incident.resolution.reason)}`}`,
    ),
    fact('Signals', String(incident.signalCount)),
    fact(
      'Alerts',
      alerts.length === 0 ? undefined : `<ul>${alerts.map((a) => `<li>${escapeHtml(a.name)} (${escapeHtml(a.source)}, ${escapeHtml(a.status)})</li>`).join('')}</ul>`,
    ),
  ];
  return `<dl class="facts">${facts.join('')}</dl>`;
}

function actions(incident: Incident): string {
  const taken = incident.actions ?? [];
  const pending =
    incident.pendingRollback === undefined
      ? ''
      : `<p class="note">A rollback${incident.pendingRollback.version === undefined ? '' : ` to ${escapeHtml(incident.pendingRollback.version)}`} waits for approval, requested by ${escapeHtml(incident.pendingRollback.requestedBy)} at ${timeElement(incident.pendingRollback.requestedAt)}.</p>`;
  if (taken.length === 0) return `<p>No action was taken on the model.</p>${pending}`;
  const rows = taken
    .map(
      (a) =>
        '<tr>' +
        `<th scope="row">${ACTION_LABELS[a.action]}<br><span class="muted">${escapeHtml(a.model)}</span></th>` +
        `<td>${timeElement(a.at)}</td><td>${escapeHtml(a.by)}</td><td>${change(a)}</td>` +
        `<td>${a.undoneAt === undefined ? 'no' : `undone at ${timeElement(a.undoneAt)}${a.undoneBy === undefined ? '' : ` by ${escapeHtml(a.undoneBy)}`}`}</td>` +
        '</tr>',
    )
    .join('\n');
  return (
    '<table><caption>Actions taken on the model, oldest first</caption>' +
    '<thead><tr><th scope="col">Action</th><th scope="col">When</th><th scope="col">By</th><th scope="col">Before → after</th><th scope="col">Undone</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>${pending}`
  );
}

function timeline(entries: readonly TimelineEntry[]): string {
  if (entries.length === 0) return '<p>The timeline is empty.</p>';
  const items = entries.map(
    (e) => `<li>${timeElement(e.at)} <strong>${escapeHtml(e.kind)}</strong> <span class="muted">by ${escapeHtml(e.actor)}</span>: ${escapeHtml(e.message)}</li>`,
  );
  return `<ol class="timeline">${items.join('\n')}</ol>`;
}

function postmortem(incident: Incident, state: PostmortemState): string {
  if (state.state === 'unavailable') return '<p class="note">No records repository is configured, so no postmortem can be shown.</p>';
  if (state.state === 'missing') {
    return `<p class="note">No postmortem is drafted yet (it will be <code>${escapeHtml(state.path)}</code> in the records repository). Draft one with <code>firebreak postmortem draft ${escapeHtml(incident.id)}</code>.</p>`;
  }
  const rendered = renderMarkdown(state.markdown, { topHeadingLevel: 3, documentPath: state.path, imageUrl: chartUrl });
  return `<p class="muted">From <code>${escapeHtml(state.path)}</code> in the records repository.</p>\n<div class="markdown">${rendered.html}</div>`;
}

function regressionCases(state: RegressionCasesState): string {
  if (state.state === 'unavailable') return '<p class="note">No records repository is configured, so no regression cases can be shown.</p>';
  const unreadable =
    state.unreadable.length === 0
      ? ''
      : `<div class="warning"><p>${state.unreadable.length} file${state.unreadable.length === 1 ? '' : 's'} of <code>corpus/</code> could not be read as a regression case:</p><ul>${state.unreadable.map((u) => `<li><code>${escapeHtml(u.path)}</code>: ${escapeHtml(u.reason)}</li>`).join('')}</ul></div>`;
  if (state.cases.length === 0) return `<p>No regression case was harvested from this incident.</p>${unreadable}`;
  const rows = state.cases
    .map(
      (c) =>
        `<tr><th scope="row"><code>${escapeHtml(c.id)}</code></th><td>${escapeHtml(c.owasp)}</td><td>${escapeHtml(c.category)} / ${escapeHtml(c.technique)}</td><td>${escapeHtml(c.excerpt)}</td></tr>`,
    )
    .join('\n');
  return (
    '<table><caption>Regression cases harvested from this incident (input redacted, first user turn only)</caption>' +
    '<thead><tr><th scope="col">Case</th><th scope="col">OWASP LLM 2025</th><th scope="col">Category / technique</th><th scope="col">Redacted excerpt</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>${unreadable}`
  );
}

function section(id: string, heading: string, body: string): string {
  return `<section aria-labelledby="${id}"><h2 id="${id}">${heading}</h2>\n${body}</section>`;
}

/**
 * The incident page.
 *
 * @example
 * renderIncidentPage({ incident, timeline, postmortem: { state: 'missing', path }, cases: { state: 'listed', cases: [], unreadable: [] } });
 */
export function renderIncidentPage(data: IncidentPageData): string {
  const { incident } = data;
  const body = [
    `<p>${escapeHtml(incident.title)}</p>`,
    section('summary', 'Summary', summary(incident)),
    section('actions', 'Actions', actions(incident)),
    section('timeline', 'Timeline', timeline(data.timeline)),
    section('postmortem', 'Postmortem', postmortem(incident, data.postmortem)),
    section('regression-cases', 'Regression cases', regressionCases(data.cases)),
    `<p><a href="/incidents/${escapeHtml(encodeURIComponent(incident.id))}">This incident as JSON</a> · <a href="/">all incidents</a></p>`,
  ];
  return layoutPage({ title: `Incident ${incident.id}`, heading: escapeHtml(incident.id), section: 'incidents', depth: 'item', body: body.join('\n') });
}
