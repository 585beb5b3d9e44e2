/**
 * One section of the draft, as a section builder returns it: facts from the
 * record and prompts for people, and the helpers that write those prompts
 * (`✍️ TODO(owner): …`, the marker the blameless-language check skips).
 */
import { PROMPT_MARKER } from './lint';

/** A section's content: facts from the record and prompts for people (Markdown blocks). */
export interface Section {
  readonly facts: readonly string[];
  readonly prompts: readonly string[];
}
/** A section from its facts and prompts; undefined and empty entries are dropped. */
export const section = (facts: readonly (string | undefined)[], prompts: readonly (string | undefined)[] = []): Section => ({
  facts: facts.filter((f): f is string => f !== undefined && f !== ''),
  prompts: prompts.filter((p): p is string => p !== undefined && p !== ''),
});
/** A block prompt: a blockquote that starts with the marker. */
export const ask = (text: string, ...more: string[]): string => [`> ${PROMPT_MARKER}(owner): ${text}`, ...more.map((m) => `> ${m}`)].join('\n');
/** An inline prompt, for a table cell. */
export const askInline = (text: string): string => `${PROMPT_MARKER}(owner): ${text}`;
