import { parseArgs } from 'node:util';
import { startEmbedded } from '../../local/embedded';
import type { CliIo } from './io';

/**
 * `firebreak up [--port N] [--host H] [--data-dir DIR]`: runs the embedded
 * target until SIGINT/SIGTERM.
 */
export async function upCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.stderr(`firebreak up: --port must be a whole number from 0 to 65535, got ${JSON.stringify(values.port)}\n`);
    return 2;
  }
  const started = Date.now();
  const target = await startEmbedded({ port, host: values.host, dataDir: values['data-dir'] });
  io.stdout(`Firebreak (embedded) listening on ${target.url}  [started in ${Date.now() - started} ms]\n`);
  for (const service of target.services) io.stdout(`  ${service.name.padEnd(15)} ${service.mode}\n`);
  if (target.redriven > 0) io.stdout(`  re-driven ${target.redriven} interrupted workflow(s)\n`);
  io.stdout(`Post alerts to ${target.url}/alerts/alertmanager or ${target.url}/alerts/cloudwatch; incidents at ${target.url}/incidents\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  io.stdout('stopping…\n');
  await target.close();
  return 0;
}
