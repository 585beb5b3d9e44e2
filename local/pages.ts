import type { Incident, TimelineEntry } from '../lambdas/core/incident';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Firebreak</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}
.status{font-weight:600}a{color:#0b57d0}</style></head>
<body><main>${body}</main></body></html>`;
}

/** `GET /`: the incidents of the last weeks, newest first. */
export function renderIncidentList(incidents: readonly Incident[]): string {
  const rows = incidents
    .map(
      (i) =>
        `<tr><td><a href="/incidents/${escapeHtml(i.id)}/page">${escapeHtml(i.id)}</a></td><td class="status">${escapeHtml(i.status)}</td>` +
        `<td>${escapeHtml(i.severity)}</td><td>${escapeHtml(i.key.slo)}${i.mapped ? '' : ' (unmapped)'}</td><td>${escapeHtml(i.key.service)} / ${escapeHtml(i.key.model)}</td><td><time datetime="${escapeHtml(i.openedAt)}">${escapeHtml(i.openedAt)}</time></td></tr>`,
    )
    .join('\n');
  const table = incidents.length === 0
    ? '<p>No incidents in the last four weeks.</p>'
    : `<table><caption>Incidents, newest first</caption><thead><tr><th scope="col">Incident</th><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">SLO</th><th scope="col">Service / model</th><th scope="col">Opened</th></tr></thead><tbody>${rows}</tbody></table>`;
  return page('Incidents', `<h1>Incidents</h1>${table}<p><a href="/incidents">JSON</a> · <a href="/metrics">metrics</a></p>`);
}

/** An incident with its timeline. */
export function renderIncident(incident: Incident, timeline: readonly TimelineEntry[]): string {
  const items = timeline
    .map((e) => `<li><time datetime="${escapeHtml(e.at)}">${escapeHtml(e.at)}</time> <strong>${escapeHtml(e.kind)}</strong> (${escapeHtml(e.actor)}): ${escapeHtml(e.message)}</li>`)
    .join('\n');
  return page(
    incident.id,
    `<p><a href="/">All incidents</a></p><h1>${escapeHtml(incident.id)}</h1><p>${escapeHtml(incident.title)}</p>` +
      `<dl><dt>Status</dt><dd class="status">${escapeHtml(incident.status)}</dd><dt>Severity</dt><dd>${escapeHtml(incident.severity)}</dd>` +
      `<dt>SLO</dt><dd>${escapeHtml(incident.key.slo)}${incident.mapped ? '' : ' (unmapped alert: default policy)'}</dd><dt>Breach began</dt><dd>${escapeHtml(incident.breachStartedAt)}</dd></dl>` +
      `<h2>Timeline</h2><ol>${items}</ol>`,
  );
}
