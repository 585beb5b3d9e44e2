import { z } from 'zod';
import { FirebreakError, type InputIssue } from '../errors';
import { SeveritySchema } from '../policy/severity';
import { ClassificationSchema } from './classify';
import { ENCODED_LENGTH } from './minhash';
import { RedactionCountsSchema } from './redact';

/**
 * The regression case: one JSON file per case in `corpus/` of the records
 * repository (DESIGN.md, "Regression case (corpus record)"). Field names are
 * snake_case, as on disk. Every text in a case is redacted; the id and the
 * fingerprint are computed from the redacted, normalised text.
 */

/** The record layout this code writes and reads. */
export const CASE_SCHEMA_VERSION = 1;

const ISO_TIME = z.iso.datetime({ offset: true });

/**
 * A case id: `case-` and the first 16 hex digits of the SHA-256 of the
 * redacted, normalised text.
 *
 * @example
 * CaseIdSchema.parse('case-0123456789abcdef');
 */
export const CaseIdSchema = z.string().regex(/^case-[0-9a-f]{16}$/, 'expected "case-" and 16 lowercase hex digits');

/** Whether replay runs a case: `active` cases gate releases, `quarantined` ones are reported only, `retired` ones are skipped. */
export const CaseStatusSchema = z.enum(['active', 'quarantined', 'retired']);
/** See {@link CaseStatusSchema}. */
export type CaseStatus = z.infer<typeof CaseStatusSchema>;

/** How replay judges a response (see `judge.ts`): refusal phrasing, a forbidden substring, or the canary. */
export const DetectorKindSchema = z.enum(['refusal', 'substring', 'canary']);
/** See {@link DetectorKindSchema}. */
export type DetectorKind = z.infer<typeof DetectorKindSchema>;

/** Where a case came from: an incident's evidence, or an import (`firebreak corpus add`). */
export const CaseSourceKindSchema = z.enum(['incident', 'import']);
/** See {@link CaseSourceKindSchema}. */
export type CaseSourceKind = z.infer<typeof CaseSourceKindSchema>;

/**
 * A regression case record.
 *
 * @example
 * const c = parseCase(await repo.read('corpus/case-0123456789abcdef.json'), 'corpus/case-0123456789abcdef.json');
 */
export const RegressionCaseSchema = z
  .object({
    schema_version: z.literal(CASE_SCHEMA_VERSION),
    id: CaseIdSchema,
    created_at: ISO_TIME,
    updated_at: ISO_TIME,
    status: CaseStatusSchema,
    severity: SeveritySchema,
    /** OWASP LLM Top 10 2025 id and name, category, technique, the rule that classified it and why; garak's tags when the evidence had them. */
    taxonomy: ClassificationSchema.extend({ garak_tags: z.array(z.string().min(1)).optional() }),
    input: z.object({
      /** The user turns, oldest first, redacted. */
      turns: z.array(z.object({ role: z.literal('user'), content: z.string().min(1) })).min(1),
      /** Redactions made in the turns, by type (types with none are absent). */
      redactions: RedactionCountsSchema,
    }),
    /** What a good model does; checked by `judgeResponse`. */
    expected: z.object({
      behaviour: z.literal('refuse'),
      /** Strings the response must not contain (compared case-insensitively). */
      must_not_contain: z.array(z.string().min(1)),
      /** Whether the response must not contain the target's canary token. */
      no_canary_leak: z.boolean(),
    }),
    /** What replay uses to judge (`kind`), and the detector that caught the failure in the evidence (`id`). */
    detector: z.object({ id: z.string().min(1), kind: DetectorKindSchema }),
    source: z.object({
      kind: CaseSourceKindSchema,
      incident_id: z.string().min(1).optional(),
      /** The alert identity (alert name or alarm name). */
      alert: z.string().min(1).optional(),
      slo: z.string().min(1).optional(),
      model: z.string().min(1),
      model_version: z.string().min(1).optional(),
      /** Where the evidence was read (an evidence URI). */
      evidence_uri: z.string().min(1),
      first_seen: ISO_TIME,
      last_seen: ISO_TIME,
      /** How many times the prompt was seen, over every incident that harvested it. */
      occurrences: z.number().int().positive(),
      /** Every incident whose evidence contained the prompt, sorted. */
      incident_ids: z.array(z.string().min(1)),
    }),
    fingerprint: z.object({
      /** SHA-256 (hex) of the redacted, normalised text. */
      text_hash: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
      /** MinHash signature, base64 of 128 little-endian 32-bit words. */
      minhash: z.string().length(ENCODED_LENGTH).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64'),
    }),
    /** The closest earlier case when this one is a near duplicate of it (linked, never dropped). */
    near_dup_of: z.object({ id: CaseIdSchema, similarity: z.number().min(0).max(1) }).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.id !== `case-${c.fingerprint.text_hash.slice(0, 16)}`) {
      ctx.addIssue({ code: 'custom', path: ['id'], message: `expected case-${c.fingerprint.text_hash.slice(0, 16)} (derived from fingerprint.text_hash)` });
    }
    if (Date.parse(c.source.first_seen) > Date.parse(c.source.last_seen)) {
      ctx.addIssue({ code: 'custom', path: ['source', 'last_seen'], message: 'last_seen is before first_seen' });
    }
    if (c.near_dup_of?.id === c.id) ctx.addIssue({ code: 'custom', path: ['near_dup_of', 'id'], message: 'a case cannot be a near duplicate of itself' });
    if (c.source.kind === 'incident' && c.source.incident_id === undefined) {
      ctx.addIssue({ code: 'custom', path: ['source', 'incident_id'], message: 'an incident case names its incident' });
    }
  });

/** A regression case record. */
export type RegressionCase = z.infer<typeof RegressionCaseSchema>;

/** A case file is not valid JSON or not a valid case; `issues` name the path inside the record. */
export class CaseRecordError extends FirebreakError {
  constructor(
    /** The file (path in the records repository). */
    readonly file: string,
    readonly issues: readonly InputIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, options);
  }
}

/**
 * The path of a case's file in the records repository.
 *
 * @throws RangeError when `id` is not a case id
 * @example
 * casePath('case-0123456789abcdef') // => 'corpus/case-0123456789abcdef.json'
 */
export function casePath(id: string): string {
  if (!CaseIdSchema.safeParse(id).success) throw new RangeError(`"${id}" is not a case id (expected "case-" and 16 lowercase hex digits)`);
  return `corpus/${id}.json`;
}

/**
 * The file content of a case: validated, keys in the schema's order (map
 * keys sorted), two-space JSON, trailing newline. The same case always gives
 * the same bytes, so committing an unchanged case is a no-op.
 *
 * @throws CaseRecordError when the case is not valid
 * @example
 * await repo.commit([{ path: casePath(c.id), content: serializeCase(c) }], 'corpus: add case');
 */
export function serializeCase(c: RegressionCase): string {
  const checked = RegressionCaseSchema.safeParse(c);
  if (!checked.success) throw new CaseRecordError(casePath(c.id), issuesOf(checked.error));
  const record = checked.data;
  const ordered = { ...record, input: { ...record.input, redactions: Object.fromEntries(Object.entries(record.input.redactions).sort(([a], [b]) => a.localeCompare(b))) } };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/**
 * Parses a case file. The error names the file and the path inside the
 * record; a file whose name is a case id must hold that case.
 *
 * @throws CaseRecordError when the text is not JSON, not a valid case, or not the case its name says
 * @example
 * parseCase('{"schema_version":2}', 'corpus/case-0123456789abcdef.json') // throws CaseRecordError naming the file
 */
export function parseCase(text: string, path: string): RegressionCase {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    // The parser's message can quote the file's text (a prompt): it stays in the cause, out of the message.
    throw new CaseRecordError(path, [{ path: '', message: 'not JSON' }], { cause });
  }
  const parsed = RegressionCaseSchema.safeParse(json);
  if (!parsed.success) throw new CaseRecordError(path, issuesOf(parsed.error));
  const named = /(case-[0-9a-f]{16})\.json$/.exec(path)?.[1];
  if (named !== undefined && named !== parsed.data.id) throw new CaseRecordError(path, [{ path: 'id', message: `the file is named for ${named} but holds ${parsed.data.id}` }]);
  return parsed.data;
}
