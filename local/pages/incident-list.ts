/**
 * `GET /`: the incidents of the last weeks (or of one week, or the active
 * ones), newest first, one table row per incident.
 */
import type { Incident } from '../../lambdas/core/incident';
import { durationElement, escapeHtml, layoutPage, statusBadge, timeElement } from './layout';

/** Which incidents the list shows, for its caption and its empty state. */
export type IncidentListScope = { readonly kind: 'recent' } | { readonly kind: 'week'; readonly week: string } | { readonly kind: 'active' };

function describe(scope: IncidentListScope): string {
  if (scope.kind === 'week') return `week ${scope.week}`;
  if (scope.kind === 'active') return 'open, acknowledged or mitigated';
  return 'the last four weeks';
}

function row(incident: Incident): string {
  const href = `/incidents/${encodeURIComponent(incident.id)}/page`;
  return (
    '<tr>' +
    `<th scope="row"><a href="${escapeHtml(href)}">${escapeHtml(incident.id)}</a><br><span class="muted">${escapeHtml(incident.title)}</span></th>` +
    `<td>${statusBadge(incident.status)}</td>` +
    `<td>${escapeHtml(incident.severity)}</td>` +
    `<td>${escapeHtml(incident.key.slo)}${incident.mapped ? '' : ' <span class="muted">(unmapped)</span>'}</td>` +
    `<td>${escapeHtml(incident.key.service)} / ${escapeHtml(incident.key.model)}${incident.modelVersion === undefined ? '' : ` <span class="muted">${escapeHtml(incident.modelVersion)}</span>`}</td>` +
    `<td>${timeElement(incident.openedAt)}</td>` +
    `<td>${durationElement(incident.openedAt, incident.acknowledgedAt)}</td>` +
    `<td>${durationElement(incident.openedAt, incident.resolvedAt)}</td>` +
    '</tr>'
  );
}

/**
 * The incident list page.
 *
 * @example
 * renderIncidentList(await store.listActive(), { kind: 'active' });
 */
export function renderIncidentList(incidents: readonly Incident[], scope: IncidentListScope = { kind: 'recent' }): string {
  const what = describe(scope);
  const table =
    incidents.length === 0
      ? `<p class="note">No incidents (${escapeHtml(what)}).</p>`
      : '<table>' +
        `<caption>Incidents of ${escapeHtml(what)}, newest first. Times to acknowledge and resolve count from when the incident was opened.</caption>` +
        '<thead><tr><th scope="col">Incident</th><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">SLO</th>' +
        '<th scope="col">Service / model</th><th scope="col">Opened</th><th scope="col">Time to acknowledge</th><th scope="col">Time to resolve</th></tr></thead>' +
        `<tbody>${incidents.map(row).join('\n')}</tbody></table>`;
  return layoutPage({
    title: 'Incidents',
    section: 'incidents',
    body: `${table}\n<p><a href="/reviews">Weekly reviews</a> · <a href="/?active=true">active incidents only</a></p>`,
  });
}
