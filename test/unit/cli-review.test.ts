import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { reviewCommand } from '../../bin/commands/review';

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

type Reply = { status: number; body: string; contentType?: string };

/** A loopback server that records requests and answers with `reply`. */
async function startServer(reply: (req: Received) => Reply): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const r: Received = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: text === '' ? undefined : JSON.parse(text) };
      received.push(r);
      const { status, body, contentType } = reply(r);
      res.writeHead(status, { 'content-type': contentType ?? 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await reviewCommand(args, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

const OK_BODY = {
  week: '2026-W47',
  path: 'reviews/2026-W47.md',
  link: 'https://github.com/acme/records/blob/main/reviews/2026-W47.md',
  summary: { incidents: 5, mtta: 245, mttr: 5400 },
};

describe('firebreak review weekly', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let reply: Reply;
  beforeEach(async () => {
    reply = { status: 200, body: JSON.stringify(OK_BODY) };
    server = await startServer(() => reply);
  });
  afterEach(async () => {
    await server.close();
  });

  it('POSTs the week as JSON to /reviews/weekly and prints where the review went', async () => {
    const result = await run('weekly', '--week', '2026-W47', '--url', server.url);
    expect(result).toEqual({
      code: 0,
      stdout:
        'weekly review 2026-W47: 5 incidents, time to acknowledge (median) 4m 05s, time to resolve (median) 1h 30m\n' +
        'written to reviews/2026-W47.md\n' +
        'link: https://github.com/acme/records/blob/main/reviews/2026-W47.md\n',
      stderr: '',
    });
    expect(server.received).toEqual([{ method: 'POST', url: '/reviews/weekly', contentType: 'application/json', body: { week: '2026-W47' } }]);
  });

  it('lets Firebreak choose the week when --week is not given, and accepts --url=URL with a trailing slash', async () => {
    reply = { status: 200, body: JSON.stringify({ week: '2026-W46', path: 'reviews/2026-W46.md', summary: { incidents: 1, mtta: null, mttr: null } }) };
    const result = await run('weekly', `--url=${server.url}/`);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('weekly review 2026-W46: 1 incident, time to acknowledge (median) n/a, time to resolve (median) n/a\nwritten to reviews/2026-W46.md\n');
    expect(server.received).toEqual([{ method: 'POST', url: '/reviews/weekly', contentType: 'application/json', body: {} }]);
  });

  it('prints the answer as JSON with --json', async () => {
    const result = await run('weekly', '--url', server.url, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(OK_BODY);
  });

  it.each([
    ['2026-47', /--week: expected an ISO week like 2026-W07 \(YYYY-Www\), got "2026-47"/],
    ['2027-W53', /--week: expected a week between 01 and 52 for 2027, got "2027-W53"/],
  ])('refuses the week %j with a clear message and exit 2, without calling Firebreak', async (week, message) => {
    const result = await run('weekly', '--week', week, '--url', server.url);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(server.received).toEqual([]);
  });

  it.each([
    ['no subcommand', [], /which review\? Only `weekly` is available/],
    ['another subcommand', ['monthly'], /unknown subcommand "monthly"/],
    ['an extra argument', ['weekly', 'now'], /unexpected argument "now"/],
    ['an unknown option', ['weekly', '--since', 'x'], /Unknown option '--since'/],
    ['--week without a value', ['weekly', '--week'], /--week/],
  ])('prints usage and exits 2 for %s', async (_name, args, message) => {
    const result = await run(...args, '--url', server.url);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(server.received).toEqual([]);
  });

  it('prints usage and exits 0 for --help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: firebreak review weekly \[--week YYYY-Www\]/);
  });

  it('reports a 4xx answer with its message and issues, exit 1', async () => {
    reply = { status: 400, body: JSON.stringify({ error: 'InvalidInputError', message: 'ISO week is invalid', issues: [{ path: 'week', message: 'expected a week between 01 and 52' }] }) };
    const result = await run('weekly', '--week', '2026-W47', '--url', server.url);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'firebreak review: Firebreak answered 400: ISO week is invalid\n  week: expected a week between 01 and 52\n' });
  });

  it('reports a 5xx answer that is not JSON with the start of its body, exit 1', async () => {
    reply = { status: 502, body: '<html><body>Bad gateway</body></html>', contentType: 'text/html' };
    const result = await run('weekly', '--url', server.url);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'firebreak review: Firebreak answered 502: <html><body>Bad gateway</body></html>\n' });
  });

  it('reports an answer without the expected fields, exit 1', async () => {
    reply = { status: 200, body: JSON.stringify({ week: '2026-W47' }) };
    const result = await run('weekly', '--url', server.url);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^firebreak review: unexpected answer from http:\/\/127\.0\.0\.1:\d+\/reviews\/weekly: path: /);
  });

  it('says how to start Firebreak when nothing listens at the URL, exit 1', async () => {
    const closed = server.url;
    await server.close();
    server = await startServer(() => reply); // afterEach closes this one
    const result = await run('weekly', '--url', closed);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^firebreak review: cannot reach Firebreak at ${closed.replace(/\./g, '\\.')} \\(.+\\); start it with \`npm start\``));
  });
});
