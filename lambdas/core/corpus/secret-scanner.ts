import { z } from 'zod';
import { FirebreakError } from '../errors';
import { RedactionTypeSchema, type RedactionType } from './redact';

/**
 * Port: finds credentials (cloud keys, chat and code-host tokens, private
 * keys, vendor API keys) in a text, so they can be redacted before the text
 * is stored, committed or shown. The secretlint adapter
 * (`SecretlintSecretScanner`) implements it with secretlint's maintained rule
 * set; core adds its own fallback for the most common shapes (see
 * `redactText`).
 */

/**
 * One secret found: its redaction type, where it is (`start` inclusive, `end`
 * exclusive, UTF-16 offsets into the scanned text) and the rule that found it.
 *
 * @example
 * SecretFindingSchema.parse({ type: 'github_token', start: 4, end: 44, rule: '@secretlint/secretlint-rule-github' });
 */
export const SecretFindingSchema = z
  .object({
    type: RedactionTypeSchema,
    start: z.number().int().nonnegative(),
    end: z.number().int().positive(),
    rule: z.string().min(1),
  })
  .refine((f) => f.end > f.start, { message: 'end must be after start', path: ['end'] });

/** A secret (or piece of personal data) found in a text. */
export interface SecretFinding {
  readonly type: RedactionType;
  /** Offset of the first character (UTF-16 code units). */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  /** Id of the rule that found it (`@secretlint/secretlint-rule-aws`, `core.email`, …). */
  readonly rule: string;
}

/** Port: scans a text for secrets. */
export interface SecretScanner {
  /** The secrets in `text`, in any order; overlapping findings are allowed. */
  scan(text: string): Promise<SecretFinding[]>;
}

/**
 * The secret scanner failed or answered something unusable (a finding outside
 * the text). Redaction stops: text that could not be scanned is never stored.
 */
export class SecretScanError extends FirebreakError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
