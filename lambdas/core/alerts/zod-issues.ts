import { z } from 'zod';
import type { InputIssue } from '../errors';

/**
 * zod helpers shared by the alert parsers: issue mapping (so both parsers
 * report problems the same way) and vendor timestamp normalisation (so both
 * emit the `...Z` timestamps the observation schema requires).
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Renders a zod issue path the way a reader writes it: `alerts[0].labels.alertname`,
 * `detail["detail-type"]`. `prefix` is the location of the parsed value inside
 * the delivery (e.g. `Records[1].Sns.Message`).
 *
 * @example
 * formatIssuePath(['alerts', 0, 'labels', 'alertname']) // => 'alerts[0].labels.alertname'
 * formatIssuePath(['AlarmName'], 'Message')              // => 'Message.AlarmName'
 */
export function formatIssuePath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/**
 * Maps the issues of a failed zod parse to `InputIssue`s: a readable path
 * and a message that says what was expected (zod's generic "Invalid input:"
 * prefix is dropped, "received undefined" reads "but it is missing").
 *
 * @example
 * const result = schema.safeParse(body);
 * if (!result.success) throw new InvalidInputError('Alertmanager webhook', toInputIssues(result.error));
 */
export function toInputIssues(error: z.ZodError, prefix = ''): InputIssue[] {
  return error.issues.map((issue) => ({
    path: formatIssuePath(issue.path, prefix),
    message: issue.message.replace(/^Invalid (input|option): /, '').replace(/, received undefined$/, ', but it is missing'),
  }));
}

/**
 * Parses `value` with `schema`; on failure appends the issues (under
 * `prefix`) to `issues` and returns `undefined`, so a parser can collect the
 * problems of several parts of one delivery before throwing once.
 *
 * @example
 * const issues: InputIssue[] = [];
 * const alarm = collectParse(SnsAlarmMessageSchema, message, 'Records[0].Sns.Message', issues);
 */
export function collectParse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  issues: InputIssue[],
): z.output<S> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  issues.push(...toInputIssues(result.error, prefix));
  return undefined;
}

// Go (Alertmanager) writes RFC 3339 with up to 9 fractional digits; CloudWatch
// writes `2020-07-21T01:05:31.551+0000`, an offset without a colon that not
// every parser accepts. Both are rewritten to a form `Date` parses everywhere.
const VENDOR_TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[Tt ]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/;

/**
 * Normalises a vendor timestamp to ISO-8601 UTC (`2020-07-21T01:05:31.551Z`),
 * or returns `undefined` when it is not one.
 *
 * @example
 * normaliseTimestamp('2020-07-21T01:05:31.551+0000')       // => '2020-07-21T01:05:31.551Z'
 * normaliseTimestamp('2026-11-21T23:21:35.123456789+02:00') // => '2026-11-21T21:21:35.123Z'
 * normaliseTimestamp('date')                               // => undefined
 */
export function normaliseTimestamp(raw: string): string | undefined {
  const match = VENDOR_TIMESTAMP.exec(raw.trim());
  if (!match) return undefined;
  const [, date, time, fraction = '', zone] = match;
  // `Date` rolls 2026-02-30 over to March 2; a date that is not on the calendar is not a timestamp.
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== date) return undefined;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const offset = /^[Zz]$/.test(zone) ? 'Z' : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const parsed = new Date(`${date}T${time}.${millis}${offset}`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

/** True for Go's zero time (`0001-01-01T00:00:00Z`), which Alertmanager sends for "not set". */
export function isGoZeroTime(raw: string): boolean {
  return raw.startsWith('0001-01-01T00:00:00');
}

const TIMESTAMP_EXPECTED = 'expected a timestamp like 2026-11-21T23:21:35Z or 2020-07-21T01:05:31.551+0000';

/**
 * A vendor timestamp string, output normalised to ISO-8601 UTC.
 *
 * @example
 * VendorTimestampSchema.parse('2019-10-02T17:04:40.989+0000') // => '2019-10-02T17:04:40.989Z'
 */
export const VendorTimestampSchema = z.string().transform((raw, ctx) => {
  const iso = normaliseTimestamp(raw);
  if (iso === undefined) {
    ctx.addIssue({ code: 'custom', message: `${TIMESTAMP_EXPECTED}, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  }
  return iso;
});
