/**
 * Reads the action items of a postmortem back out of its Markdown: the first
 * table under the "Action items" heading, with Type, Description, Owner,
 * Ticket and Status columns (found by name, in any order). The weekly review
 * uses it to follow up open items.
 */
import { z } from 'zod';
import { FirebreakError } from '../errors';
import { PROMPT_MARKER } from './lint';

/** The kinds of action item: reduce the impact next time, stop it recurring, or change how we work. */
export const ActionItemTypeSchema = z.enum(['mitigate', 'prevent', 'process']);
/** A kind of action item: `mitigate`, `prevent` or `process`. */
export type ActionItemType = z.infer<typeof ActionItemTypeSchema>;

/** One action item as written in a postmortem. */
export const ActionItemSchema = z.object({
  type: ActionItemTypeSchema,
  description: z.string().min(1),
  owner: z.string().min(1).optional(),
  ticket: z.string().min(1).optional(),
  status: z.enum(['open', 'done']),
});
/** One action item as written in a postmortem; see {@link ActionItemSchema}. */
export type ActionItem = z.infer<typeof ActionItemSchema>;

/** One problem in the action items table, at a 1-based line of the document. */
export interface ActionItemIssue {
  readonly line: number;
  readonly message: string;
}

/** The action items table cannot be read: every problem is listed with its line. */
export class ActionItemsFormatError extends FirebreakError {
  constructor(
    readonly issues: readonly ActionItemIssue[],
    options?: { cause?: unknown },
  ) {
    super(`action items table: ${issues.map((i) => `line ${i.line}: ${i.message}`).join('; ')}`, options);
  }
}

const TYPES: Record<string, ActionItemType> = {
  mitigate: 'mitigate',
  mitigation: 'mitigate',
  prevent: 'prevent',
  prevention: 'prevent',
  preventive: 'prevent',
  process: 'process',
};
const STATUSES: Record<string, ActionItem['status']> = {
  '': 'open',
  open: 'open',
  todo: 'open',
  'to do': 'open',
  'in progress': 'open',
  planned: 'open',
  blocked: 'open',
  done: 'done',
  closed: 'done',
  complete: 'done',
  completed: 'done',
  fixed: 'done',
  resolved: 'done',
  '✅': 'done',
  '[x]': 'done',
  '[ ]': 'open',
};
type Column = 'type' | 'description' | 'owner' | 'ticket' | 'status';
const COLUMN_NAMES: readonly [Column, RegExp][] = [
  ['type', /^(type|kind)$/],
  ['description', /^(description|action|action item|item|what)$/],
  ['owner', /^(owner|assignee|who)$/],
  ['ticket', /^(ticket|issue|tracking|link)$/],
  ['status', /^(status|state)$/],
];

const DELIMITER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;

/** The cells of a table row; `\|` is a literal pipe. */
function cells(row: string): string[] {
  const trimmed = row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Cell text without emphasis or wrapping code marks, lower-cased: for matching names and values. */
const plain = (cell: string): string =>
  cell
    .replace(/^[*_`]+|[*_`]+$/g, '')
    .trim()
    .toLowerCase();

/** An optional cell: empty, a dash, a placeholder or a prompt count as not given. */
function optional(cell: string | undefined): string | undefined {
  if (cell === undefined) return undefined;
  const value = cell.replace(/^`(.*)`$/, '$1').trim();
  if (value === '' || /^[-—–]+$/.test(value) || /^(tbd|todo|n\/a|none)$/i.test(value) || value.includes(PROMPT_MARKER)) return undefined;
  return value;
}

/** The lines of the Action items section, with their 0-based indexes, outside code fences. */
function sectionLines(lines: readonly string[]): { text: string; index: number }[] {
  let level: number | undefined;
  let fence: string | undefined;
  const out: { text: string; index: number }[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const opener = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (opener !== null) fence = fence === undefined ? opener[1] : opener[1][0] === fence[0] ? undefined : fence;
    if (fence !== undefined || opener !== null) continue;
    const heading = HEADING.exec(line);
    if (heading !== null) {
      if (level !== undefined && heading[1].length <= level) break;
      if (level === undefined && /^action items\b/i.test(heading[2])) {
        level = heading[1].length;
        continue;
      }
    }
    if (level !== undefined) out.push({ text: line, index: i });
  }
  return out;
}

/**
 * The action items of a postmortem, from the first table under its "Action
 * items" heading. No such section or table: none. Rows are checked: the type
 * must be mitigate, prevent or process, the description must be given and the
 * status must read as open or done (empty is open).
 *
 * @throws ActionItemsFormatError listing every bad row with its line
 *
 * @example
 * parseActionItems(markdown)
 * // => [{ type: 'prevent', description: 'Add case to corpus', owner: 'U42', ticket: 'SAFE-12', status: 'done' }]
 */
export function parseActionItems(markdown: string): ActionItem[] {
  const section = sectionLines(markdown.split(/\r?\n/));
  const start = section.findIndex((l, i) => l.text.includes('|') && section[i + 1] !== undefined && DELIMITER.test(section[i + 1].text));
  if (start < 0) return [];
  const header = cells(section[start].text).map(plain);
  const column = new Map<Column, number>();
  for (const [name, pattern] of COLUMN_NAMES) {
    const at = header.findIndex((h) => pattern.test(h));
    if (at >= 0) column.set(name, at);
  }
  const headerLine = section[start].index + 1;
  if (!column.has('type') || !column.has('description')) {
    throw new ActionItemsFormatError([{ line: headerLine, message: `expected Type and Description columns, got ${header.map((h) => JSON.stringify(h)).join(', ')}` }]);
  }
  const items: ActionItem[] = [];
  const issues: ActionItemIssue[] = [];
  for (const row of section.slice(start + 2)) {
    if (!row.text.includes('|')) break;
    const values = cells(row.text);
    if (values.every((v) => v === '')) continue;
    const get = (name: Column): string | undefined => {
      const at = column.get(name);
      return at === undefined ? undefined : values[at];
    };
    const line = row.index + 1;
    const typeText = plain(get('type') ?? '');
    const type = TYPES[typeText];
    const description = get('description')?.trim() ?? '';
    const statusText = plain(get('status') ?? '');
    const status = STATUSES[statusText];
    if (type === undefined) issues.push({ line, message: `type ${JSON.stringify(typeText)}: expected mitigate, prevent or process` });
    if (description === '') issues.push({ line, message: 'expected a description' });
    if (status === undefined) issues.push({ line, message: `status ${JSON.stringify(statusText)}: expected open or done` });
    if (type === undefined || description === '' || status === undefined) continue;
    const owner = optional(get('owner'));
    const ticket = optional(get('ticket'));
    items.push({ type, description, status, ...(owner === undefined ? {} : { owner }), ...(ticket === undefined ? {} : { ticket }) });
  }
  if (issues.length > 0) throw new ActionItemsFormatError(issues);
  return items;
}
