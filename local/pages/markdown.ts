/**
 * Markdown of the records repository (postmortems, weekly reviews) as safe
 * HTML for the pages, with marked (GitHub-flavoured).
 *
 * The documents are ours but quote what others wrote (alert titles, Slack
 * messages, redacted prompts), so raw HTML in them is never trusted: it is
 * shown as text. Two exceptions: HTML comments are dropped, and a block that
 * is exactly one chart `<svg>` made of allowed elements and attributes is
 * kept (rewritten by {@link sanitizeInlineSvg}). Link targets are limited to
 * http(s), mailto and relative addresses; an image is shown only when the
 * caller maps its path in the records repository to a URL of this server
 * (the charts of a weekly review), otherwise its alt text is shown.
 */
import { Marked, type Token, type Tokens } from 'marked';
import { sanitizeInlineSvg } from './inline-svg';
import { escapeHtml } from './layout';

/** How a document is placed in its page. */
export interface MarkdownOptions {
  /**
   * The level the document's shallowest heading gets, so that headings stay
   * in order under the page's own: 2 for a document that is the page, 3 for
   * one shown under an `h2` section.
   */
  readonly topHeadingLevel: number;
  /** Path of the document in the records repository (`reviews/2026-W47.md`): relative image paths resolve against it. */
  readonly documentPath: string;
  /** The URL that serves an image of the records repository, by its path there, or undefined when it may not be shown. */
  readonly imageUrl: (recordPath: string) => string | undefined;
  /**
   * When true and the document opens with a level-1 heading, that heading is
   * taken out of the body and returned as the title (the page shows it as
   * its `h1`).
   */
  readonly takeTitle?: boolean;
}

/** A rendered document. */
export interface RenderedMarkdown {
  /** Safe inline HTML of the document's title, when `takeTitle` found one. */
  readonly titleHtml?: string;
  /** The same title as plain text (for `<title>`). */
  readonly titleText?: string;
  /** Safe HTML of the body. */
  readonly html: string;
}

const COMMENT_ONLY = /^\s*<!--(?:(?!-->)[\s\S])*-->\s*$/;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * The link target when it is safe to follow from a page: http(s), mailto,
 * or a scheme-less (relative) address. Browsers ignore control characters
 * and spaces in a scheme, so they are removed before it is checked.
 */
function safeHref(href: string): string | undefined {
  const compact = href.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = SCHEME.exec(compact)?.[1]?.toLowerCase();
  if (scheme === undefined) return href.trim();
  return scheme === 'http' || scheme === 'https' || scheme === 'mailto' ? href.trim() : undefined;
}

/** The records-repository path an image reference points to, relative to the document, or undefined for other origins. */
function recordPathOf(src: string, documentPath: string): string | undefined {
  const base = new URL(`http://records.invalid/${documentPath}`);
  let resolved: URL;
  try {
    resolved = new URL(src.trim(), base);
  } catch {
    // Not a URL at all: there is nothing to show but the alt text.
    return undefined;
  }
  if (resolved.origin !== base.origin || resolved.search !== '' || resolved.hash !== '') return undefined;
  try {
    return decodeURIComponent(resolved.pathname.slice(1));
  } catch {
    // Malformed percent-encoding: not a path of the repository.
    return undefined;
  }
}

/** A `<figure>` with the chart when `text` is exactly one acceptable `<svg>` element. */
function chartFigure(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^<svg[\s>]/i.test(trimmed)) return undefined;
  const svg = sanitizeInlineSvg(trimmed);
  return svg === undefined ? undefined : `<figure class="chart">${svg}</figure>\n`;
}

const stripTags = (html: string): string =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/**
 * Renders a markdown document of the records repository as safe HTML.
 *
 * @example
 * renderMarkdown('# Weekly review\n\n![Incidents](2026-W47/incidents.svg)', {
 *   topHeadingLevel: 2,
 *   documentPath: 'reviews/2026-W47.md',
 *   imageUrl: (p) => (p.startsWith('reviews/') ? `/${p}` : undefined),
 *   takeTitle: true,
 * });
 * // => { titleHtml: 'Weekly review', titleText: 'Weekly review', html: '<p><img src="/reviews/2026-W47/incidents.svg" alt="Incidents"></p>\n' }
 */
export function renderMarkdown(markdown: string, options: MarkdownOptions): RenderedMarkdown {
  // Tables take the heading just before them as their caption.
  const captions = new WeakMap<Tokens.Table, Tokens.Heading>();
  let offset = 0;
  const marked = new Marked({
    gfm: true,
    renderer: {
      html({ text, block }) {
        if (COMMENT_ONLY.test(text)) return '';
        if (!block) return escapeHtml(text);
        return chartFigure(text) ?? `<p>${escapeHtml(text.trim())}</p>\n`;
      },
      paragraph({ text, tokens }) {
        // An SVG written on one line is a paragraph of inline tags to markdown.
        return chartFigure(text) ?? `<p>${this.parser.parseInline(tokens)}</p>\n`;
      },
      heading({ tokens, depth }) {
        const level = Math.min(6, Math.max(options.topHeadingLevel, depth + offset));
        return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
      },
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        const target = safeHref(href);
        if (target === undefined) return text;
        return `<a href="${escapeHtml(target)}"${title ? ` title="${escapeHtml(title)}"` : ''}>${text}</a>`;
      },
      image({ href, title, text, tokens }) {
        const alt = tokens === undefined ? text : stripTags(this.parser.parseInline(tokens, this.parser.textRenderer));
        const path = recordPathOf(href, options.documentPath);
        const url = path === undefined ? undefined : options.imageUrl(path);
        if (url === undefined) return `<span class="muted">[image not shown: ${escapeHtml(alt)}]</span>`;
        return `<img src="${escapeHtml(url)}" alt="${escapeHtml(alt)}"${title ? ` title="${escapeHtml(title)}"` : ''}>`;
      },
      table(token) {
        const caption = captions.get(token);
        const head = `<tr>${token.header.map((cell) => this.tablecell(cell)).join('')}</tr>`;
        const rows = token.rows.map((row) => `<tr>${row.map((cell) => this.tablecell(cell)).join('')}</tr>`).join('\n');
        return (
          // The heading is already on screen: the caption names the table for assistive technology only.
          `<table>${caption === undefined ? '' : `<caption class="visually-hidden">${this.parser.parseInline(caption.tokens)}</caption>`}` +
          `<thead>${head}</thead>${rows === '' ? '' : `<tbody>${rows}</tbody>`}</table>\n`
        );
      },
      tablecell({ tokens, header, align }) {
        const style = align === null ? '' : ` style="text-align:${align}"`;
        return header ? `<th scope="col"${style}>${this.parser.parseInline(tokens)}</th>` : `<td${style}>${this.parser.parseInline(tokens)}</td>`;
      },
    },
  });

  const tokens = marked.lexer(markdown);
  let titleToken: Tokens.Heading | undefined;
  if (options.takeTitle === true) {
    const first = tokens.findIndex((t) => t.type !== 'space');
    const candidate = tokens[first];
    if (candidate?.type === 'heading' && (candidate as Tokens.Heading).depth === 1) {
      titleToken = candidate as Tokens.Heading;
      tokens.splice(first, 1);
    }
  }
  let shallowest = Infinity;
  marked.walkTokens(tokens, (token: Token) => {
    if (token.type === 'heading') shallowest = Math.min(shallowest, (token as Tokens.Heading).depth);
  });
  offset = shallowest === Infinity ? 0 : options.topHeadingLevel - shallowest;
  let lastHeading: Tokens.Heading | undefined;
  for (const token of tokens) {
    if (token.type === 'heading') lastHeading = token as Tokens.Heading;
    if (token.type === 'table' && lastHeading !== undefined) captions.set(token as Tokens.Table, lastHeading);
  }

  const html = marked.parser(tokens);
  if (titleToken === undefined) return { html };
  const titleHtml = marked.parseInline(titleToken.text) as string;
  return { html, titleHtml, titleText: stripTags(titleHtml) };
}
