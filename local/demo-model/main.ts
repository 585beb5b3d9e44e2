import path from 'node:path';
import { parseArgs } from 'node:util';
import { InMemoryModelControlPlane, demoModelControlState } from './in-memory-control-plane';
import { startDemoModel } from './server';
import { DEFAULT_MODEL, DEMO_MODEL_VERSIONS, findVersion } from './versions';

/**
 * The demo model on its own, with an in-memory control plane seeded with
 * the three versions (v1 known-good and active):
 *
 *     node bin/run-ts.js local/demo-model/main.ts [--port 8788] [--active support-llm-v2]
 *         [--evidence FILE] [--review-queue FILE] [--delay-scale 1] [--evidence-all]
 *
 * Evidence goes to `$FIREBREAK_DATA_DIR/evidence/support-bot/adversarial-probes.jsonl`
 * (data dir default `./.firebreak`) unless `--evidence` says otherwise.
 */

const USAGE = 'usage: node bin/run-ts.js local/demo-model/main.ts [--port N] [--host H] [--model M] [--active VERSION] [--evidence FILE] [--evidence-all] [--review-queue FILE] [--delay-scale X]\n';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      model: { type: 'string' },
      active: { type: 'string' },
      evidence: { type: 'string' },
      'evidence-all': { type: 'boolean' },
      'review-queue': { type: 'string' },
      'delay-scale': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env['DEMO_MODEL_PORT'] ?? 8788);
  const scale = Number(values['delay-scale'] ?? 1);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be an integer 0-65535, got ${values.port}`);
  if (!Number.isFinite(scale) || scale < 0) throw new Error(`--delay-scale must be a number >= 0, got ${values['delay-scale']}`);
  const model = values.model ?? DEFAULT_MODEL;
  const active = values.active === undefined ? undefined : findVersion(values.active, model)?.version;
  if (values.active !== undefined && active === undefined) {
    throw new Error(`--active ${values.active}: no such version (${DEMO_MODEL_VERSIONS.map((v) => v.version).join(', ')})`);
  }
  const dataDir = process.env['FIREBREAK_DATA_DIR'] ?? '.firebreak';
  const evidenceFile = path.resolve(values.evidence ?? path.join(dataDir, 'evidence', 'support-bot', 'adversarial-probes.jsonl'));
  const controlPlane = new InMemoryModelControlPlane([demoModelControlState({ model, ...(active === undefined ? {} : { activeVersion: active }) })]);
  const server = await startDemoModel({
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
    model,
    controlPlane,
    evidenceFile,
    evidence: { all: values['evidence-all'] === true },
    ...(values['review-queue'] === undefined ? {} : { reviewQueueFile: path.resolve(values['review-queue']) }),
    delays: { scale },
    onError: (error) => process.stderr.write(`demo model: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
  });
  const state = await controlPlane.get(model);
  process.stdout.write(
    [
      `demo model ${model} listening on ${server.url}`,
      `  active version: ${state?.activeVersion} (versions: ${DEMO_MODEL_VERSIONS.map((v) => `${v.version}${v.knownGood ? ' [known-good]' : ''}`).join(', ')})`,
      `  POST ${server.url}/v1/chat/completions   GET /v1/models  /metrics  /review-queue  /healthz`,
      `  evidence: ${evidenceFile}`,
      '',
    ].join('\n'),
  );
  const stop = (signal: string): void => {
    process.stdout.write(`demo model: ${signal}, flushing evidence and stopping\n`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`demo model: close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`demo model: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
});
