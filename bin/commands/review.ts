import { firebreakUrl, unreachable } from './firebreak-url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { IsoWeekSchema } from '../../lambdas/core/review/iso-week';
import { formatDuration } from '../../lambdas/core/review/format';
import type { CliIo } from './io';

const USAGE = [
  'usage: firebreak review weekly [--week YYYY-Www] [--url URL] [--json]',
  '',
  'Asks a running Firebreak to make the weekly postmortem review: figures, charts, the document',
  'committed to reviews/<yyyy>-W<ww>.md of the records repository and a summary posted to the',
  'review channel. Prints where it went. Exits 0 on success, 1 when Firebreak cannot be reached or',
  'refused, 2 for a usage error.',
  '',
  'Options:',
  '  --week YYYY-Www   the ISO week to review (default: the last complete week, chosen by Firebreak)',
  '  --url URL         Firebreak base URL (default FIREBREAK_URL or http://127.0.0.1:$FIREBREAK_PORT, port 8787)',
  '  --json            print the answer as JSON',
].join('\n');

/** A duration in seconds, `null` when there is no data (a string is shown as it is). */
const Duration = z.union([z.number(), z.string(), z.null()]);

/** What `POST /reviews/weekly` answers. */
const WeeklyReviewResponseSchema = z.object({
  week: z.string(),
  path: z.string(),
  link: z.string().optional(),
  summary: z.object({ incidents: z.number().int().min(0), mtta: Duration.optional(), mttr: Duration.optional() }),
});

const ServerErrorSchema = z.object({ error: z.string().optional(), message: z.string().optional(), issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() });

/**
 * `firebreak review weekly [--week YYYY-Www] [--url URL] [--json]`: POSTs
 * `{ week? }` to `${url}/reviews/weekly` of a running Firebreak and prints
 * the review's week, path, link and summary.
 *
 * @returns 0 done, 1 Firebreak unreachable or answered an error, 2 usage error (bad week included)
 */
export async function reviewCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { week: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.stderr(`firebreak review: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const [subcommand, ...extra] = positionals;
  if (subcommand !== 'weekly') {
    io.stderr(`firebreak review: ${subcommand === undefined ? 'which review? Only `weekly` is available.' : `unknown subcommand ${JSON.stringify(subcommand)}; only \`weekly\` is available.`}\n\n${USAGE}\n`);
    return 2;
  }
  if (extra.length > 0) {
    io.stderr(`firebreak review: unexpected argument ${JSON.stringify(extra[0])}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.week !== undefined) {
    const week = IsoWeekSchema.safeParse(values.week);
    if (!week.success) {
      io.stderr(`firebreak review: --week: ${week.error.issues.map((i) => i.message).join('; ')}\n`);
      return 2;
    }
  }
  const base = firebreakUrl(values.url);

  let status: number;
  let text: string;
  try {
    const res = await fetch(`${base}/reviews/weekly`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(values.week === undefined ? {} : { week: values.week }),
    });
    status = res.status;
    text = await res.text();
  } catch (error) {
    io.stderr(unreachable('firebreak review', base, error));
    return 1;
  }

  const body = parseJson(text);
  if (status < 200 || status >= 300) {
    io.stderr(`firebreak review: Firebreak answered ${status}: ${errorMessage(body, text)}\n`);
    return 1;
  }
  const answer = WeeklyReviewResponseSchema.safeParse(body);
  if (!answer.success) {
    io.stderr(`firebreak review: unexpected answer from ${base}/reviews/weekly: ${answer.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}\n`);
    return 1;
  }
  const review = answer.data;
  if (values.json === true) {
    io.stdout(`${JSON.stringify(review, null, 2)}\n`);
    return 0;
  }
  const { incidents, mtta, mttr } = review.summary;
  io.stdout(
    `weekly review ${review.week}: ${incidents} incident${incidents === 1 ? '' : 's'}, ` +
      `time to acknowledge (median) ${duration(mtta)}, time to resolve (median) ${duration(mttr)}\n` +
      `written to ${review.path}\n` +
      (review.link === undefined ? '' : `link: ${review.link}\n`),
  );
  return 0;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON (a proxy's HTML error page, say): the caller reports the raw text.
    return undefined;
  }
}

function errorMessage(body: unknown, text: string): string {
  const parsed = ServerErrorSchema.safeParse(body);
  if (parsed.success && (parsed.data.message !== undefined || parsed.data.error !== undefined)) {
    const issues = (parsed.data.issues ?? []).map((i) => `\n  ${i.path}: ${i.message}`).join('');
    return `${parsed.data.message ?? parsed.data.error}${issues}`;
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet === '' ? '(empty body)' : snippet;
}

function duration(value: z.infer<typeof Duration> | undefined): string {
  if (value === undefined || value === null) return 'n/a';
  return typeof value === 'number' ? formatDuration(value) : value;
}
