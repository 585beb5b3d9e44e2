/**
 * Text helpers for the postmortem draft: the flattener that applies the
 * sanitize hook and makes free text one plain line, Markdown escaping, code
 * spans, and how people, UTC times, percentages, numbers and links are
 * written.
 */
import type { DraftInput, SanitizeField } from './draft-types';
import { isPerson } from './facts';

/** Longest free-text field written, in characters, when the caller gives no other limit. */
const MAX_TEXT = 240;

/** Makes one free-text field safe to write: `(text, which field, longest length)` → the text to write. */
export type Clean = (text: string, field: SanitizeField, max?: number) => string;

/** Sanitize hook, then one line, Slack markup made plain, cut to `max` characters. */
export function flattener(hook: DraftInput['sanitize']): Clean {
  return (text, field, max = MAX_TEXT) => {
    const flat = (hook === undefined ? text : hook(text, field))
      .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
      .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
      .replace(/<(https?:[^|>]+)\|([^>]*)>/g, '$2')
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
  };
}

/** Flat text made inert as Markdown: table pipes, HTML, code marks and placeholders escaped. */
export const escapeMarkdown = (flat: string): string =>
  flat.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'").replace(/\{\{/g, '{ {');

/** A code span (safe inside a table cell): shows the text as it is. */
export const code = (text: string): string => `\`${text.replace(/\s+/g, ' ').replace(/`/g, "'").replace(/\|/g, '\\|')}\``;

/** A person as a code span (`@id`); a system actor as it is. */
export const who = (actor: string): string => (isPerson(actor) ? code(`@${actor.replace(/^@/, '')}`) : actor);
/** An ISO timestamp as `yyyy-mm-dd hh:mm:ss` (UTC); `—` when there is none. */
export const utc = (iso: string | undefined): string => (iso === undefined ? '—' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`);
/** A ratio as a percentage with at most four significant digits, e.g. `12.5 %`. */
export const pct = (x: number): string => `${Number((x * 100).toPrecision(4))} %`;
/** A number with at most four significant digits. */
export const num = (x: number): string => String(Number(x.toPrecision(4)));
/** The URL when it is a plain http(s) URL, safe as a Markdown link target; otherwise undefined. */
export const safeUrl = (url: string | undefined): string | undefined => (url !== undefined && /^https?:\/\/[^\s()<>]+$/.test(url) ? url : undefined);
