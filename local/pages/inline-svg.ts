/**
 * Inline SVG charts in markdown, made safe: a fragment is parsed strictly,
 * checked against an allowlist of elements and attributes, and written out
 * again from the parsed tree (so nothing of the input's own markup reaches
 * the page). Anything else — a script, an event handler, a link, a style,
 * an external reference, an entity we do not know, markup that does not
 * parse — rejects the whole fragment, and the caller shows it as text.
 */
import { FirebreakError } from '../../lambdas/core/errors';

/** Elements a chart may use. */
const ELEMENTS = new Set(['svg', 'g', 'rect', 'line', 'polyline', 'polygon', 'path', 'circle', 'ellipse', 'text', 'tspan', 'title', 'desc']);
/** Elements whose text content is shown; the others may hold whitespace only. */
const TEXT_ELEMENTS = new Set(['text', 'tspan', 'title', 'desc']);
/** Presentation and geometry attributes, plus accessibility ones. No `style`, no `href`, no `on*`. */
const ATTRIBUTES = new Set([
  'xmlns', 'viewBox', 'width', 'height', 'preserveAspectRatio', 'version',
  'x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry', 'dx', 'dy', 'points', 'd', 'transform',
  'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray', 'stroke-linecap', 'stroke-linejoin', 'opacity',
  'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline',
  'id', 'class', 'role', 'aria-label', 'aria-labelledby', 'aria-describedby', 'aria-hidden', 'focusable',
]);
const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';
const MAX_DEPTH = 32;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

interface SvgElement {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly children: readonly (SvgElement | string)[];
}

/** Thrown inside the parser when the fragment is not acceptable; never leaves this module. */
class RejectedSvg extends FirebreakError {
  constructor(reason: string) {
    super(`inline SVG rejected: ${reason}`);
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);|&/gi, (match, body: string | undefined) => {
    if (body === undefined) throw new RejectedSvg('a bare "&"');
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new RejectedSvg(`character reference ${match}`);
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[body];
    if (named === undefined) throw new RejectedSvg(`unknown entity ${match}`);
    return named;
  });
}

function checkAttribute(element: string, name: string, value: string): void {
  if (!ATTRIBUTES.has(name)) throw new RejectedSvg(`attribute ${name}`);
  if (name === 'xmlns' && (element !== 'svg' || value !== SVG_NAMESPACE)) throw new RejectedSvg('namespace');
  // Paint servers and filters are not allowed, so a url() can only point elsewhere: refuse it.
  if (/url\s*\(|javascript:|expression\s*\(/i.test(value)) throw new RejectedSvg(`value of ${name}`);
}

/** A recursive-descent parser over the fragment text. */
class Parser {
  private at = 0;
  constructor(private readonly source: string) {}

  parseFragment(): SvgElement {
    this.skipSpace();
    const root = this.element(0);
    if (root.name !== 'svg') throw new RejectedSvg('root is not <svg>');
    this.skipSpace();
    if (this.at !== this.source.length) throw new RejectedSvg('content after </svg>');
    return root;
  }

  private element(depth: number): SvgElement {
    if (depth > MAX_DEPTH) throw new RejectedSvg('too deep');
    const name = this.expect(/<([a-zA-Z][a-zA-Z0-9-]*)/y)[1] as string;
    if (!ELEMENTS.has(name)) throw new RejectedSvg(`element ${name}`);
    const attributes: [string, string][] = [];
    for (;;) {
      const attribute = this.match(/\s+([a-zA-Z][a-zA-Z0-9:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y);
      if (attribute === undefined) break;
      const attrName = attribute[1] as string;
      const value = decodeEntities(attribute[2] ?? attribute[3] ?? '');
      checkAttribute(name, attrName, value);
      if (attributes.some(([n]) => n === attrName)) throw new RejectedSvg(`duplicate attribute ${attrName}`);
      attributes.push([attrName, value]);
    }
    if (this.match(/\s*\/>/y) !== undefined) return { name, attributes, children: [] };
    this.expect(/\s*>/y);
    const children: (SvgElement | string)[] = [];
    for (;;) {
      const text = this.match(/[^<]+/y);
      if (text !== undefined) {
        const decoded = decodeEntities(text[0]);
        if (!TEXT_ELEMENTS.has(name) && decoded.trim() !== '') throw new RejectedSvg(`text inside <${name}>`);
        children.push(decoded);
        continue;
      }
      if (this.match(/<!--(?:(?!--)[\s\S])*-->/y) !== undefined) continue;
      const close = this.match(/<\/([a-zA-Z][a-zA-Z0-9-]*)\s*>/y);
      if (close !== undefined) {
        if (close[1] !== name) throw new RejectedSvg(`</${close[1]}> closes <${name}>`);
        return { name, attributes, children };
      }
      if (this.source.startsWith('<', this.at) && /^<[a-zA-Z]/.test(this.source.slice(this.at, this.at + 2))) {
        children.push(this.element(depth + 1));
        continue;
      }
      throw new RejectedSvg(`unexpected markup at ${this.at}`);
    }
  }

  private skipSpace(): void {
    this.match(/\s*/y);
  }

  private match(pattern: RegExp): RegExpExecArray | undefined {
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.source);
    if (found === null) return undefined;
    this.at += found[0].length;
    return found;
  }

  private expect(pattern: RegExp): RegExpExecArray {
    const found = this.match(pattern);
    if (found === undefined) throw new RejectedSvg(`expected ${pattern.source} at ${this.at}`);
    return found;
  }
}

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function serialize(element: SvgElement): string {
  const attributes = element.attributes.map(([name, value]) => ` ${name}="${escapeXml(value)}"`).join('');
  const children = element.children.map((child) => (typeof child === 'string' ? escapeXml(child) : serialize(child))).join('');
  return `<${element.name}${attributes}>${children}</${element.name}>`;
}

/**
 * The fragment rewritten from its parsed tree when it is one `<svg>` element
 * made only of allowed chart elements and attributes; undefined otherwise.
 * Comments are dropped; text is re-escaped.
 *
 * @example
 * sanitizeInlineSvg('<svg viewBox="0 0 10 10"><rect width="5" height="5" fill="#0b57d0"/></svg>')
 * // => '<svg viewBox="0 0 10 10"><rect width="5" height="5" fill="#0b57d0"></rect></svg>'
 * sanitizeInlineSvg('<svg onload="alert(1)"></svg>') // => undefined
 */
export function sanitizeInlineSvg(fragment: string): string | undefined {
  try {
    return serialize(new Parser(fragment).parseFragment());
  } catch (error) {
    if (error instanceof RejectedSvg) return undefined;
    throw error;
  }
}
