import { lintSource } from '@secretlint/core';
import { creator as recommendedPreset } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig, SecretLintCoreResultMessage } from '@secretlint/types';
import type { RedactionType } from '../core/corpus/redact';
import { SecretScanError, type SecretFinding, type SecretScanner } from '../core/corpus/secret-scanner';

/**
 * {@link SecretScanner} backed by secretlint (`@secretlint/core`'s
 * `lintSource` with `@secretlint/secretlint-rule-preset-recommend`): a
 * maintained rule set for cloud keys, chat and code-host tokens, private keys
 * and vendor API keys. Each message's rule id is mapped to a redaction type
 * and its `range` becomes the finding's span.
 */

/**
 * The redaction type of a secretlint rule id: aws → `aws_key`, slack →
 * `slack_token`, github → `github_token`, privatekey → `private_key`, any
 * other rule → `api_key`.
 *
 * @example
 * redactionTypeOfRule('@secretlint/secretlint-rule-github') // => 'github_token'
 * redactionTypeOfRule('@secretlint/secretlint-rule-openai') // => 'api_key'
 */
export function redactionTypeOfRule(ruleId: string): RedactionType {
  const name = ruleId.replace(/^@secretlint\/secretlint-rule-/, '').toLowerCase();
  if (name === 'aws') return 'aws_key';
  if (name === 'slack') return 'slack_token';
  if (name === 'github') return 'github_token';
  if (name === 'privatekey') return 'private_key';
  return 'api_key';
}

/**
 * The span to redact for a message: its `range`, corrected when it misses the
 * secret value the rule reported in `data`. secretlint's AWS rule reports a
 * secret access key with a range that starts at the `aws_secret_access_key=`
 * assignment and has the key's length, so the range alone would redact the
 * name and leave the key's tail: when the range has a value's length but not
 * its text, the value's own position is used; when a value starts inside the
 * range and runs past it, the span is widened to its end.
 */
function spanOf(message: SecretLintCoreResultMessage, text: string): [number, number] {
  const [start, end] = message.range;
  const values = Object.values(message.data ?? {}).filter((v): v is string => typeof v === 'string' && v.length >= 8);
  for (const value of values) {
    const at = text.indexOf(value, start);
    if (at < start || at > end) continue;
    if (end - start === value.length && text.slice(start, end) !== value) return [at, at + value.length];
    if (at + value.length > end) return [start, at + value.length];
  }
  return [start, end];
}

/** Scans text with secretlint's recommended rules. Stateless; one instance can serve every call. */
export class SecretlintSecretScanner implements SecretScanner {
  private readonly config: SecretLintCoreConfig = {
    rules: [
      {
        id: '@secretlint/secretlint-rule-preset-recommend',
        rule: recommendedPreset,
        // The AWS rule skips bare access key ids (AKIA…/ASIA…) unless asked: a prompt may carry one alone.
        rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
      },
    ],
  };

  /**
   * @throws {SecretScanError} when secretlint fails or reports a range outside the text.
   * @example
   * await new SecretlintSecretScanner().scan(`token ${'ghp_'}${'A'.repeat(36)}`)
   * // => [{ type: 'github_token', start: 6, end: 46, rule: '@secretlint/secretlint-rule-github' }]
   */
  async scan(text: string): Promise<SecretFinding[]> {
    let messages: SecretLintCoreResultMessage[];
    try {
      const result = await lintSource({
        source: { content: text, filePath: 'prompt.txt', contentType: 'text' },
        options: { config: this.config, noPhysicFilePath: true },
      });
      messages = result.messages;
    } catch (error) {
      throw new SecretScanError(`secretlint failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return messages.map((message) => {
      const [start, end] = spanOf(message, text);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || end <= start) {
        throw new SecretScanError(`secretlint rule ${message.ruleId} reported the range [${start}, ${end}) outside a text of ${text.length} characters`);
      }
      return { type: redactionTypeOfRule(message.ruleId), start, end, rule: message.ruleId };
    });
  }
}
