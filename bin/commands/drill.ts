import { parseArgs } from 'node:util';
import { formatDrillReport } from '../../local/drill/report';
import { runDrill, type DrillOptions } from '../../local/drill/run-drill';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS } from '../../local/drill/scenarios';
import type { CliIo } from './io';

const USAGE = [
  'usage: firebreak drill <scenario> [--json] [--data-dir DIR] [--port N] [--alert-model NAME]',
  '',
  'Runs a game-day drill on this machine: the embedded target with its PagerDuty and Slack',
  'simulators, the demo model, a fault, a burn-rate alert delivered to /alerts/alertmanager,',
  'and Firebreak responding on its own. Exits 0 only if the incident reached mitigated and the',
  'SLI recovered; 1 otherwise (with the reason); 2 for a usage error. Bounded to 60 s.',
  '',
  'Scenarios:',
  ...SCENARIO_NAMES.map((name) => `  ${name.padEnd(20)} ${SCENARIOS[name].summary}`),
  '',
  'Options:',
  '  --json               print one JSON document (the full report) instead of text',
  '  --data-dir DIR       keep the drill\'s data (DynamoDB, evidence) in DIR; default: a temporary dir, removed',
  '  --port N             port of the embedded target (default: a free port)',
  '  --alert-model NAME   label the alert with another model (rehearses an alert Firebreak cannot contain)',
].join('\n');

/**
 * `firebreak drill <scenario> [--json] [--data-dir DIR] [--port N] [--alert-model NAME]`.
 *
 * @returns 0 passed, 1 failed (the reason is printed), 2 usage error
 */
export async function drillCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { json: { type: 'boolean' }, 'data-dir': { type: 'string' }, port: { type: 'string' }, 'alert-model': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.stderr(`firebreak drill: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [scenario, ...extra] = positionals;
  if (scenario === undefined) {
    io.stderr(`firebreak drill: which scenario? (${SCENARIO_NAMES.join(', ')})\n\n${USAGE}\n`);
    return 2;
  }
  if (!isScenarioName(scenario)) {
    io.stderr(`firebreak drill: unknown scenario ${JSON.stringify(scenario)}; the scenarios are ${SCENARIO_NAMES.join(', ')}\n\n${USAGE}\n`);
    return 2;
  }
  if (extra.length > 0) {
    io.stderr(`firebreak drill: unexpected argument ${JSON.stringify(extra[0])}\n\n${USAGE}\n`);
    return 2;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.stderr(`firebreak drill: --port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}\n`);
    return 2;
  }
  if (values['alert-model'] === '') {
    io.stderr('firebreak drill: --alert-model needs a NAME\n');
    return 2;
  }
  const json = values.json === true;
  const options: DrillOptions = {
    scenario,
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    ...(port === undefined ? {} : { port }),
    ...(values['alert-model'] === undefined ? {} : { alertModel: values['alert-model'] }),
    ...(json ? {} : { progress: (line: string) => io.stderr(`drill: ${line}\n`) }),
  };
  const report = await runDrill(options);
  if (json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(formatDrillReport(report));
  if (!report.passed && !json) io.stderr(`firebreak drill ${scenario}: FAILED: ${report.reason}\n`);
  return report.exitCode;
}
