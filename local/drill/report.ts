/**
 * The drill report for people: the time compression in force, the incident
 * timeline (time since the fault), the key timings, the SLI, the
 * simulators' call counts and the verdict.
 */
import { formatValue, seconds, type DrillReport, type ReportedReading } from './run-drill';

function reading(r: ReportedReading | undefined, unit: string): string {
  if (r === undefined) return '—';
  const verdict = r.withinObjective === null ? 'no data' : r.withinObjective ? 'within objective' : 'outside objective';
  return `${formatValue(r.value, unit)} (${verdict}, ${r.windowSeconds}s window${r.sampleCount === undefined ? '' : `, ${r.sampleCount} samples`})`;
}

function offset(ms: number): string {
  const s = ms / 1000;
  return `${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(2)}s`;
}

function counts(by: Readonly<Record<string, number>>): string {
  return Object.entries(by)
    .sort(([, a], [, b]) => b - a)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
}

/** One line per row, no trailing newline. */
function table(rows: readonly (readonly string[])[], widths: readonly number[]): string[] {
  return rows.map((row) => row.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ').trimEnd());
}

/**
 * The report as text (ends with a newline).
 *
 * @example
 * process.stdout.write(formatDrillReport(await runDrill({ scenario: 'never-event' })));
 */
export function formatDrillReport(report: DrillReport): string {
  const out: string[] = [];
  const unit = report.slo?.unit ?? '';
  out.push(`Firebreak drill: ${report.scenario} — ${report.summary}`);
  if (report.target !== undefined) out.push(`  target ${report.target.url} (data ${report.target.dataKept ? `kept in ${report.target.dataDir}` : 'in a temporary dir, removed'})${report.demoModel === undefined ? '' : `, demo model ${report.demoModel.url}`}`);
  if (report.slo !== undefined) {
    out.push(
      `  SLO ${report.slo.id}: ${report.slo.sli} ${report.slo.objective} ${report.slo.unit}; alert ${report.slo.alertname}; on breach [${report.slo.actionOnBreach.join(', ')}]` +
        (report.slo.rollbackRequiresApproval === null ? '' : `, rollback ${report.slo.rollbackRequiresApproval ? 'needs approval' : 'automatic'}`),
    );
  }
  out.push('');
  out.push('Time compression (DRILL ONLY — production values in brackets):');
  const c = report.compression;
  if (c.burnRate.drill !== '') out.push(`  burn-rate alert     ${c.burnRate.drill}, evaluated every ${c.burnRate.evaluateEveryMs} ms  [${c.burnRate.production}]`);
  for (const w of c.waits.filter((x) => x.drillMs !== undefined)) {
    const production = w.state === 'Wait Out The Flap Hold' && report.slo !== undefined ? `${report.slo.flapHold} flap hold of ${report.slo.id}` : w.production;
    out.push(`  ${`${w.workflow}: ${w.state}`.padEnd(50)} ${w.drillMs} ms  [${production}]`);
  }
  out.push(`  retry intervals     ${c.retryIntervalMs} ms for every retried workflow state  [as defined: seconds, backing off]`);
  out.push(`  demo model delays   ×${c.demoModelDelayScale}  [×1]`);
  out.push('');

  if (report.timeline.length > 0) {
    out.push('Timeline (t = time since the fault injection):');
    const rows = report.timeline.map((line) => [offset(line.t), line.kind, line.actor, line.message]);
    out.push(...table([['t', 'kind', 'actor', 'message'], ...rows], [8, Math.min(28, Math.max(4, ...rows.map((r) => r[1]?.length ?? 0))), Math.min(14, Math.max(5, ...rows.map((r) => r[2]?.length ?? 0)))]).map((l) => `  ${l}`));
    out.push('');
  }

  const t = report.timings;
  out.push('Key timings:');
  out.push(`  fault → alert        ${seconds(t.faultToAlertMs)}   (burn-rate alert fired and delivered to /alerts/alertmanager)`);
  out.push(`  alert → page         ${seconds(t.alertToPageMs)}`);
  out.push(`  page → channel       ${seconds(t.pageToChannelMs)}`);
  out.push(`  fault → contained    ${seconds(t.faultToContainedMs)}   (last action on the model before mitigation)`);
  out.push(`  fault → mitigated    ${seconds(t.faultToMitigatedMs)}`);
  out.push('');

  if (report.slo !== undefined) {
    out.push(`SLI ${report.slo.sli} (objective ${report.slo.objective} ${unit}):`);
    out.push(`  baseline   ${reading(report.sli.baseline, unit)}`);
    out.push(`  at alert   ${reading(report.sli.atAlert, unit)}`);
    out.push(`  final      ${reading(report.sli.final, unit)}`);
    if (report.sli.finalBurnRate !== undefined) out.push(`  burn rate  ${report.sli.finalBurnRate}`);
    out.push('');
  }

  if (report.incident !== undefined) {
    const i = report.incident;
    out.push(`Incident ${i.id}: ${i.status}${i.statusAtEnd === i.status ? '' : ` (${i.statusAtEnd} after the drill stopped)`}, ${i.severity}; paged: ${i.paged ? 'yes' : 'no'}; channel: ${i.channel ?? 'none'}`);
    for (const action of i.actions) out.push(`  action ${action}`);
  }
  if (report.modelAfter !== undefined) {
    const m = report.modelAfter;
    out.push(`Model now: ${m.activeVersion}, kill switch ${m.killSwitch ? 'ON' : 'off'}, safe mode ${m.safeMode ? 'ON' : 'off'}, human review ${m.humanReview ? 'ON' : 'off'} (control revision ${m.revision})`);
  }
  const sims = report.simulators;
  out.push(`Simulators: PagerDuty ${sims.pagerduty === null ? 'not used' : `${sims.pagerduty.calls} call(s)${sims.pagerduty.calls > 0 ? ` (${counts(sims.pagerduty.by)})` : ''}`}`);
  out.push(`            Slack ${sims.slack === null ? 'not used' : `${sims.slack.calls} call(s)${sims.slack.calls > 0 ? ` (${counts(sims.slack.by)})` : ''}`}`);
  if (report.traffic !== undefined) {
    const tr = report.traffic;
    out.push(`Traffic: ${tr.sent} requests at ${tr.ratePerSecond}/s (${tr.adversarial} adversarial, ${tr.benign} benign): ${counts(Object.fromEntries(Object.entries(tr.byStatus).map(([k, v]) => [`HTTP ${k}`, v])))}`);
  }
  for (const note of report.notes) out.push(`Note: ${note}`);
  out.push('');
  out.push(`${report.passed ? 'PASS' : 'FAIL'}: ${report.reason} (drill took ${seconds(report.durationMs)})`);
  return `${out.join('\n')}\n`;
}
