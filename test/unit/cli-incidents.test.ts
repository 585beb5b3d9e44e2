import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { incidentsCommand } from '../../bin/commands/incidents';
import { makeIncident } from '../support/incidents';

/** A loopback Firebreak answering GET /incidents and /incidents/{id}. */
async function startFirebreak(): Promise<{ url: string; close: () => Promise<void> }> {
  const incident = makeIncident();
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/incidents') return reply(200, { incidents: [incident] });
    if (req.url === `/incidents/${incident.id}`) return reply(200, { incident, timeline: [{ at: incident.openedAt, kind: 'incident.opened', actor: 'alertmanager', message: 'Opened' }] });
    return reply(404, { error: 'NotFound' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await incidentsCommand(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('firebreak incidents', () => {
  it('lists the incidents of a running Firebreak and shows one with its timeline', async () => {
    const firebreak = await startFirebreak();
    try {
      const list = await run('--url', `${firebreak.url}/`);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`${makeIncident().id}  open`);
      const show = await run('show', makeIncident().id, '--url', firebreak.url);
      expect(show.stdout).toContain('incident.opened');
      const missing = await run('show', 'inc-20260101-00000000', '--url', firebreak.url);
      expect(missing).toMatchObject({ code: 1, stderr: 'firebreak incidents: no incident inc-20260101-00000000\n' });
    } finally {
      await firebreak.close();
    }
  });

  it('says where it looked when Firebreak is not running, and exits 1', async () => {
    const result = await run('--url', 'http://127.0.0.1:9');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^firebreak incidents: cannot reach Firebreak at http:\/\/127\.0\.0\.1:9 \(.+\); start it with `npm start`\n$/);
  });

  it('exits 2 with the usage on an unknown subcommand', async () => {
    expect(await run('delete', 'x', '--url', 'http://127.0.0.1:9')).toMatchObject({ code: 2, stderr: 'usage: firebreak incidents [show ID] [--url URL]\n' });
  });
});
