import { drillCommand } from '../../bin/commands/drill';
import { runDrill, type DrillReport } from '../../local/drill/run-drill';
import { formatDrillReport } from '../../local/drill/report';
import { testTemplate } from '../support/template';

/** The report as text when an expectation fails, so the reason and the timeline are in the jest output. */
function explain(report: DrillReport): string {
  return formatDrillReport(report);
}

const kinds = (report: DrillReport): string[] => report.timeline.map((line) => line.kind);

describe('firebreak drill (in-process, embedded target and demo model)', () => {
  it('never-event: the injection alert pages, opens the channel, kills the model and is mitigated once recovery is verified', async () => {
    const report = await runDrill({ scenario: 'never-event', template: testTemplate() });
    if (report.exitCode !== 0) throw new Error(explain(report));
    expect(report.reason).toContain('reached mitigated');
    expect(report.incident).toMatchObject({ status: 'mitigated', paged: true, channel: expect.stringMatching(/^#inc-/) as unknown });
    expect(report.incident?.actions).toEqual([expect.stringMatching(/^kill_switch: support-llm-v2 → support-llm-v2, kill switch on/) as unknown]);
    expect(kinds(report)).toEqual(expect.arrayContaining(['drill.fault', 'drill.alert.fired', 'drill.alert.delivered', 'incident.opened', 'page.triggered', 'channel.opened', 'action.kill_switch', 'recovery.check', 'incident.mitigated']));
    // The alert came through the route, after the fault, and before the page.
    const at = (kind: string): number => report.timeline.find((line) => line.kind === kind)?.t ?? Number.NaN;
    expect(at('drill.alert.delivered')).toBeGreaterThan(0);
    expect(at('page.triggered')).toBeGreaterThanOrEqual(at('drill.alert.delivered'));
    expect(report.alert).toMatchObject({ name: 'PromptInjectionDetected', httpStatus: 202, labels: { model: 'support-llm', model_version: 'support-llm-v2' }, evidenceUri: expect.stringMatching(/^file:\/\//) as unknown });
    expect(report.sli.final?.withinObjective).toBe(true);
    expect(report.timings.faultToMitigatedMs).toBeGreaterThan(0);
    expect(report.simulators.pagerduty?.by['POST /v2/enqueue']).toBeGreaterThanOrEqual(1);
    // The review channel at start, then the incident channel.
    expect(report.simulators.slack?.by['conversations.create']).toBe(2);
    expect(report.modelAfter).toMatchObject({ killSwitch: true });
    expect(report.durationMs).toBeLessThan(60_000);
  }, 70_000);

  it('jailbreak-spike: the refusal-rate alert kills and rolls back to v1 without approval, and is mitigated', async () => {
    const report = await runDrill({ scenario: 'jailbreak-spike', template: testTemplate() });
    if (report.exitCode !== 0) throw new Error(explain(report));
    expect(report.incident).toMatchObject({ status: 'mitigated', paged: true });
    expect(report.incident?.actions).toEqual([expect.stringMatching(/^kill_switch:/) as unknown, expect.stringMatching(/^rollback: support-llm-v2 → support-llm-v1/) as unknown]);
    expect(report.alert?.name).toBe('AdversarialRefusalRateLow');
    expect(report.modelAfter).toMatchObject({ activeVersion: 'support-llm-v1', killSwitch: true });
    expect(report.sli.final?.withinObjective).toBe(true);
  }, 70_000);

  it('latency-regression: safe mode, then the rollback a responder approves with a signed /incident rollback, and is mitigated', async () => {
    const report = await runDrill({ scenario: 'latency-regression', template: testTemplate() });
    if (report.exitCode !== 0) throw new Error(explain(report));
    expect(report.alert?.name).toBe('TimeToFirstTokenP95High');
    expect(report.responder).toMatchObject({ command: '/incident rollback', httpStatus: 200 });
    expect(kinds(report)).toEqual(expect.arrayContaining(['action.degrade_to_safe_mode', 'rollback.requested', 'drill.responder', 'rollback.approved', 'action.rollback', 'incident.mitigated']));
    expect(report.timeline.find((line) => line.kind === 'rollback.approved')?.actor).toBe(report.responder?.user);
    expect(report.modelAfter).toMatchObject({ activeVersion: 'support-llm-v1', safeMode: true, killSwitch: false });
    expect(report.sli.final).toMatchObject({ withinObjective: true });
  }, 70_000);

  it('fails with exit 1 and a clear reason when the alert names a model Firebreak cannot contain', async () => {
    const report = await runDrill({ scenario: 'never-event', template: testTemplate(), alertModel: 'support-llm-retired' });
    expect(report.exitCode).toBe(1);
    expect(report.passed).toBe(false);
    expect(report.reason).toMatch(/could not contain the model: the control plane does not know model support-llm-retired/);
    expect(report.incident?.status).not.toBe('mitigated');
    expect(formatDrillReport(report)).toMatch(/^FAIL: .*support-llm-retired/m);
  }, 70_000);

  it('answers an unknown scenario with exit 2 and the three scenario names', async () => {
    const err: string[] = [];
    const code = await drillCommand(['meteor-strike'], { stdout: () => undefined, stderr: (text) => err.push(text) });
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/unknown scenario "meteor-strike"; the scenarios are jailbreak-spike, latency-regression, never-event/);
  });
});
