/**
 * The evidence source port: where the failing prompts of an incident are
 * read from. The URI comes from the alert's `evidence_uri` annotation or the
 * SLO's `evidence.uri` in `runbooks/slos.yaml`.
 *
 * Three URI schemes are understood, each by its own adapter:
 *
 * | URI | what is read |
 * |---|---|
 * | `file://evidence/x.jsonl` | a file under the evidence root (a relative path; `file:///abs/path` only when inside the root) |
 * | `file://evidence/support-bot/` | every `.jsonl` file under that folder (a path naming a folder does the same) |
 * | `s3://bucket/key.jsonl` | one object of an allowed bucket |
 * | `s3://bucket/prefix/` | every `.jsonl` object under the prefix (a key that is empty or ends with `/`) |
 * | `logs-insights:///aws/lambda/support-bot?since=2h&query=...` | a CloudWatch Logs Insights query over one log group; each result's `@message` is one line |
 *
 * Percent-escapes are decoded in paths, keys and query values (`%20`, `%3F`);
 * a `+` stays a plus. A `..` segment, a control character, an `http(s)://`
 * URL or any other scheme is refused with {@link EvidenceUriError}.
 * The format of the text (Firebreak's guardrail JSONL, a garak hitlog, a
 * promptfoo results file) is detected later, from the documents.
 */
import { z } from 'zod';
import { FirebreakError } from '../errors';

/** The schemes an evidence URI may have. */
export const EVIDENCE_SCHEMES = ['file', 's3', 'logs-insights'] as const;
/** One of {@link EVIDENCE_SCHEMES}. */
export type EvidenceScheme = (typeof EVIDENCE_SCHEMES)[number];

/** The longest evidence URI accepted. */
export const MAX_EVIDENCE_URI_LENGTH = 12_000;
/** The longest Logs Insights query (the service's own limit). */
export const MAX_LOGS_INSIGHTS_QUERY_LENGTH = 10_000;
/** The longest look-back of a Logs Insights query, in minutes (30 days): Insights bills by the data it scans. */
export const MAX_LOGS_INSIGHTS_SINCE_MINUTES = 43_200;
/**
 * What the adapters read at most by default, summed over the documents of one
 * fetch (32 MiB): evidence is a few thousand lines, not a data lake.
 */
export const DEFAULT_EVIDENCE_MAX_BYTES = 32 * 1024 * 1024;

/** An S3 bucket name (the general-purpose bucket rules: 3–63 lowercase letters, digits, `.`, `-`). */
export const S3BucketNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name: 3-63 lowercase letters, digits, "." or "-"')
  .refine((name) => !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name), 'expected an S3 bucket name without ".." that is not an IP address');

/** A CloudWatch Logs log group name: 1–512 of letters, digits, `_ - / . #`. */
export const LogGroupNameSchema = z.string().regex(/^[A-Za-z0-9_\-/.#]{1,512}$/, 'expected a log group name: 1-512 letters, digits or "_-/.#"');

/**
 * Where evidence is, once the URI is parsed. `file` paths are normalised
 * (no `.` or empty segments) and either relative to the evidence root or
 * absolute (starting with `/`); `s3` keys are literal (an empty key or one
 * ending with `/` is a prefix).
 *
 * @example
 * EvidenceLocationSchema.parse({ scheme: 's3', bucket: 'firebreak-evidence', key: 'support-bot/' });
 */
export const EvidenceLocationSchema = z.discriminatedUnion('scheme', [
  z.strictObject({ scheme: z.literal('file'), path: z.string().min(1) }),
  z.strictObject({ scheme: z.literal('s3'), bucket: S3BucketNameSchema, key: z.string().max(1024) }),
  z.strictObject({
    scheme: z.literal('logs-insights'),
    logGroup: LogGroupNameSchema,
    query: z.string().trim().min(1).max(MAX_LOGS_INSIGHTS_QUERY_LENGTH).optional(),
    sinceMinutes: z.number().int().min(1).max(MAX_LOGS_INSIGHTS_SINCE_MINUTES).optional(),
  }),
]);
/** A parsed evidence URI. */
export type EvidenceLocation = z.infer<typeof EvidenceLocationSchema>;

/**
 * One piece of evidence as read: a file, an S3 object, or the lines a Logs
 * Insights query returned. `uri` names exactly that piece (a file inside a
 * folder has its own URI).
 *
 * @example
 * const doc: EvidenceDocument = { uri: 'file://evidence/support-bot/adversarial-probes.jsonl', text: '{"prompt":["…"]}\n' };
 */
export const EvidenceDocumentSchema = z.strictObject({ uri: z.string().min(1), text: z.string() });
/** See {@link EvidenceDocumentSchema}. */
export type EvidenceDocument = Readonly<z.infer<typeof EvidenceDocumentSchema>>;

/**
 * Port: reads the evidence an evidence URI names. Adapters:
 * `FileEvidenceSource`, `S3EvidenceSource`, `CloudWatchLogsEvidenceSource`,
 * and `RoutingEvidenceSource`, which dispatches on the scheme.
 *
 * @example
 * const docs = await source.fetch('file://evidence/support-bot/adversarial-probes.jsonl');
 */
export interface EvidenceSource {
  /**
   * The documents at `uri`, in a stable order (by path or key); an empty
   * folder, prefix or query result gives `[]`.
   *
   * @throws EvidenceUriError when the URI is malformed or not allowed here
   * @throws EvidenceUnavailableError when the evidence cannot be read
   */
  fetch(uri: string): Promise<EvidenceDocument[]>;
}

/**
 * An evidence URI was refused: malformed, a scheme that is not allowed (or
 * has no adapter here), a path that leaves the evidence root, a bucket or log
 * group outside the allow-list. Not retryable: the URI must change.
 *
 * @example
 * throw new EvidenceUriError('http://example.com/x.jsonl', 'http(s) URLs are not evidence sources');
 */
export class EvidenceUriError extends FirebreakError {
  constructor(
    readonly uri: string,
    /** Why the URI was refused. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`evidence URI ${JSON.stringify(shorten(uri))} refused: ${reason}`, options);
  }
}

/**
 * Evidence the URI names could not be read: not found, access denied, too
 * large, not UTF-8 text, a query that failed or timed out, a backend error.
 * `retryable` says whether trying again later may help.
 *
 * @example
 * throw new EvidenceUnavailableError('s3://b/k.jsonl', 'no such object', { retryable: false, code: 'not-found', cause: error });
 */
export class EvidenceUnavailableError extends FirebreakError {
  readonly retryable: boolean;
  /** A short machine-readable reason: `not-found`, `access-denied`, `too-large`, `not-text`, `timeout`, `query-failed`, `throttled`, `unavailable`, … */
  readonly code: string;

  constructor(
    readonly uri: string,
    message: string,
    options: { readonly retryable: boolean; readonly code: string; readonly cause?: unknown },
  ) {
    super(`evidence ${JSON.stringify(shorten(uri))}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.code = options.code;
  }
}

function shorten(uri: string): string {
  return uri.length > 300 ? `${uri.slice(0, 300)}…` : uri;
}

/**
 * True for the names of files and objects a folder or prefix contributes:
 * JSON Lines (`.jsonl`). Name a single file directly to read another format
 * (a promptfoo `results.json`).
 *
 * @example
 * isEvidenceFileName('hitlog.jsonl') // => true
 */
export function isEvidenceFileName(name: string): boolean {
  return name.toLowerCase().endsWith('.jsonl');
}

/** True when an S3 key names a prefix (every `.jsonl` object under it) rather than one object. */
export function isS3Prefix(key: string): boolean {
  return key === '' || key.endsWith('/');
}

// Control characters (C0, DEL, C1) are never part of an evidence URI.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Parses and validates an evidence URI (see the file comment for the forms).
 * Surrounding whitespace is ignored; a bare absolute path (`/srv/evidence/x.jsonl`)
 * is read as a `file` URI. Pure: it does not check that anything exists nor
 * that a path is inside the evidence root — the adapters do.
 *
 * @throws EvidenceUriError saying what is wrong
 *
 * @example
 * parseEvidenceUri('file://evidence/support-bot/adversarial-probes.jsonl')
 * // => { scheme: 'file', path: 'evidence/support-bot/adversarial-probes.jsonl' }
 * parseEvidenceUri('s3://firebreak-evidence/support-bot/')
 * // => { scheme: 's3', bucket: 'firebreak-evidence', key: 'support-bot/' }
 * parseEvidenceUri('logs-insights:///aws/lambda/support-bot?since=2h')
 * // => { scheme: 'logs-insights', logGroup: '/aws/lambda/support-bot', sinceMinutes: 120 }
 */
export function parseEvidenceUri(uri: string): EvidenceLocation {
  if (typeof uri !== 'string') throw new EvidenceUriError(String(uri), 'expected a string');
  const text = uri.trim();
  const refuse = (reason: string): never => {
    throw new EvidenceUriError(uri, reason);
  };
  if (text === '') refuse('expected a URI such as file://evidence/x.jsonl, s3://bucket/key or logs-insights://log-group');
  if (text.length > MAX_EVIDENCE_URI_LENGTH) refuse(`longer than ${MAX_EVIDENCE_URI_LENGTH} characters`);
  if (CONTROL.test(text)) refuse('contains a control character');
  // A bare path is a path, not a URI: nothing to decode.
  if (text.startsWith('/')) return { scheme: 'file', path: normaliseFilePath(uri, text) };

  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(text);
  if (match === null) return refuse('expected a URI with a scheme (file://, s3:// or logs-insights://) or an absolute path');
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (scheme === 'http' || scheme === 'https') {
    refuse('http(s) URLs are not evidence sources: use file://, s3:// or logs-insights://');
  }
  if (!(EVIDENCE_SCHEMES as readonly string[]).includes(scheme)) refuse(`unsupported scheme "${scheme}:" (expected file://, s3:// or logs-insights://)`);
  if (!rest.startsWith('//')) refuse(`expected "${scheme}://" followed by the location`);
  const body = rest.slice(2);

  switch (scheme as EvidenceScheme) {
    case 'file':
      if (body.includes('?')) refuse('a file URI takes no query; write a literal "?" as %3F');
      return { scheme: 'file', path: normaliseFilePath(uri, decode(uri, body)) };
    case 's3':
      return parseS3(uri, body);
    case 'logs-insights':
      return parseLogsInsights(uri, body);
  }
}

/** Percent-decodes; control characters stay refused, except line breaks and tabs in a query (`multiline`). */
function decode(uri: string, text: string, multiline = false): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch (cause) {
    throw new EvidenceUriError(uri, 'contains a malformed percent-escape', { cause });
  }
  if (CONTROL.test(multiline ? decoded.replace(/[\t\r\n]/g, ' ') : decoded)) throw new EvidenceUriError(uri, 'decodes to a control character');
  return decoded;
}

/** Relative `a/b` or absolute `/a/b`; `.` and empty segments dropped; `..` and backslashes refused. */
function normaliseFilePath(uri: string, path: string): string {
  if (path.includes('\\')) throw new EvidenceUriError(uri, 'a path uses forward slashes only');
  const segments = path.split('/');
  if (segments.includes('..')) throw new EvidenceUriError(uri, 'a ".." segment is not allowed: evidence paths stay inside the evidence root');
  const kept = segments.filter((s) => s !== '' && s !== '.');
  const absolute = path.startsWith('/');
  if (kept.length === 0 && !absolute) throw new EvidenceUriError(uri, 'expected a path after file://');
  return `${absolute ? '/' : ''}${kept.join('/')}`;
}

function parseS3(uri: string, body: string): EvidenceLocation {
  if (body.includes('?')) throw new EvidenceUriError(uri, 'an s3 URI takes no query; write a literal "?" in a key as %3F');
  const slash = body.indexOf('/');
  const bucket = slash < 0 ? body : body.slice(0, slash);
  const key = slash < 0 ? '' : decode(uri, body.slice(slash + 1));
  const bucketCheck = S3BucketNameSchema.safeParse(bucket);
  if (!bucketCheck.success) throw new EvidenceUriError(uri, `bucket ${JSON.stringify(bucket)}: ${bucketCheck.error.issues[0]!.message}`);
  if (key.startsWith('/')) throw new EvidenceUriError(uri, 'expected s3://bucket/key with no "/" at the start of the key');
  if (key.split('/').some((s) => s === '.' || s === '..')) throw new EvidenceUriError(uri, 'a "." or ".." segment is not allowed in an S3 key');
  if (new TextEncoder().encode(key).length > 1024) throw new EvidenceUriError(uri, 'an S3 key is at most 1024 bytes');
  return { scheme: 's3', bucket, key };
}

const SINCE = /^(\d{1,6})([mhd])$/;
const SINCE_UNIT_MINUTES = { m: 1, h: 60, d: 1_440 } as const;

function parseLogsInsights(uri: string, body: string): EvidenceLocation {
  const question = body.indexOf('?');
  const logGroup = decode(uri, question < 0 ? body : body.slice(0, question));
  const groupCheck = LogGroupNameSchema.safeParse(logGroup);
  if (!groupCheck.success) throw new EvidenceUriError(uri, `log group ${JSON.stringify(logGroup)}: ${groupCheck.error.issues[0]!.message}`);
  const location: { scheme: 'logs-insights'; logGroup: string; query?: string; sinceMinutes?: number } = { scheme: 'logs-insights', logGroup };
  const seen = new Set<string>();
  for (const pair of question < 0 ? [] : body.slice(question + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decode(uri, equals < 0 ? pair : pair.slice(0, equals));
    const value = decode(uri, equals < 0 ? '' : pair.slice(equals + 1), name === 'query');
    if (seen.has(name)) throw new EvidenceUriError(uri, `parameter "${name}" is given twice`);
    seen.add(name);
    if (name === 'query') {
      const query = value.trim();
      if (query === '') throw new EvidenceUriError(uri, 'query= is empty (leave it out for the default query)');
      if (query.length > MAX_LOGS_INSIGHTS_QUERY_LENGTH) throw new EvidenceUriError(uri, `a Logs Insights query is at most ${MAX_LOGS_INSIGHTS_QUERY_LENGTH} characters`);
      location.query = query;
    } else if (name === 'since') {
      const since = SINCE.exec(value);
      const minutes = since === null ? NaN : Number(since[1]) * SINCE_UNIT_MINUTES[since[2] as keyof typeof SINCE_UNIT_MINUTES];
      if (!(minutes >= 1 && minutes <= MAX_LOGS_INSIGHTS_SINCE_MINUTES)) {
        throw new EvidenceUriError(uri, `since=${JSON.stringify(value)}: expected a look-back such as 30m, 6h or 2d, at most 30d`);
      }
      location.sinceMinutes = minutes;
    } else {
      throw new EvidenceUriError(uri, `unknown parameter "${name}" (expected query= and since=)`);
    }
  }
  return location;
}

/**
 * Writes a location back as a URI that {@link parseEvidenceUri} reads to the
 * same location; adapters name their documents with it.
 *
 * @example
 * formatEvidenceUri({ scheme: 'file', path: 'evidence/a b.jsonl' }) // => 'file://evidence/a%20b.jsonl'
 */
export function formatEvidenceUri(location: EvidenceLocation): string {
  const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');
  switch (location.scheme) {
    case 'file':
      return `file://${encodePath(location.path)}`;
    case 's3':
      return `s3://${location.bucket}/${encodePath(location.key)}`;
    case 'logs-insights': {
      const params = [
        ...(location.sinceMinutes === undefined ? [] : [`since=${formatSince(location.sinceMinutes)}`]),
        ...(location.query === undefined ? [] : [`query=${encodeURIComponent(location.query)}`]),
      ];
      return `logs-insights://${encodePath(location.logGroup)}${params.length === 0 ? '' : `?${params.join('&')}`}`;
    }
  }
}

function formatSince(minutes: number): string {
  if (minutes % SINCE_UNIT_MINUTES.d === 0) return `${minutes / SINCE_UNIT_MINUTES.d}d`;
  if (minutes % SINCE_UNIT_MINUTES.h === 0) return `${minutes / SINCE_UNIT_MINUTES.h}h`;
  return `${minutes}m`;
}
