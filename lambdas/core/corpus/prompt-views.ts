/**
 * The prompt's text views (pure): the plain view the cues read (quotes, dashes
 * and whitespace tidied, lower case) and the decodings that can hide an attack
 * from it: Unicode disguises (invisible, tag, look-alike, full-width and
 * regional-indicator characters), leetspeak, spaced-out or split letters,
 * base64 payloads, ROT13 and reversed text.
 */

/** Which transformation of the prompt a view is. */
export type ViewName = 'plain' | 'unicode' | 'leetspeak' | 'split' | 'base64' | 'rot13' | 'reversed';

const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u206A-\u206F\uFEFF]/g;
const TAG_CHARS = /[\u{E0000}-\u{E007F}]/gu;
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  А: 'a', В: 'b', Е: 'e', К: 'k', М: 'm', Н: 'h', О: 'o', Р: 'p', С: 'c', Т: 't', Х: 'x', І: 'i', Ј: 'j', Ѕ: 's', У: 'y',
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ӏ: 'l',
  Α: 'a', Β: 'b', Ε: 'e', Ζ: 'z', Η: 'h', Ι: 'i', Κ: 'k', Μ: 'm', Ν: 'n', Ο: 'o', Ρ: 'p', Τ: 't', Υ: 'y', Χ: 'x',
  α: 'a', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u',
};
const HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');
const REGIONAL_INDICATOR = /[\u{1F1E6}-\u{1F1FF}]/gu;
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

const tidy = (s: string): string =>
  s
    .replace(/[\u2018\u2019\u201A\u201B\u2032`\u00B4]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();

/** Unicode disguises undone: NFKC, invisible characters dropped, tag characters and regional indicators read as ASCII, look-alikes folded. */
const unicodeText = (s: string): string =>
  s
    .replace(TAG_CHARS, (c) => {
      const code = (c.codePointAt(0) as number) - 0xe0000;
      return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : '';
    })
    .replace(REGIONAL_INDICATOR, (c) => String.fromCharCode((c.codePointAt(0) as number) - 0x1f1e6 + 97))
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(HOMOGLYPH, (c) => HOMOGLYPHS[c] ?? c);

const unLeet = (s: string): string =>
  s.replace(/[a-z0-9@$]*[a-z][a-z0-9@$]*/g, (token) => (/[013457@$]/.test(token) ? token.replace(/[013457@$]/g, (c) => LEET[c] ?? c) : token));

/** Letters spaced out (`i g n o r e`) or split by hyphens or dots (`in-struc-tions`, `d.a.n`) joined again. */
const unsplit = (s: string): string => s.replace(/(?<=\b\p{L}) (?=\p{L}\b)/gu, '').replace(/(?<=\p{L})[-.](?=\p{L})/gu, '');

const rot13 = (s: string): string => s.replace(/[a-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - 97 + 13) % 26) + 97));

/** Base64 blobs that decode to mostly printable text. */
function base64Payloads(s: string): string {
  const decoded: string[] = [];
  for (const blob of s.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    const b64 = blob[0].replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (b64.length % 4 === 1) continue;
    const text = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const printable = text.replace(/[^\x20-\x7e\n\t]/g, '').length;
    if (text.length >= 8 && printable / text.length >= 0.9 && /[a-z]{3,} [a-z]{2,}/i.test(text)) decoded.push(text);
  }
  return decoded.join(' ');
}

/** One view of the prompt: which transformation, and the text it gives. */
export interface View {
  readonly name: ViewName;
  readonly text: string;
}

/** The prompt as the rules read it: the plain view first, then each decoding that changes something. */
export class Views {
  readonly cased: string;
  readonly plain: string;
  private decodedViews: View[] | undefined;

  constructor(private readonly raw: string) {
    this.cased = raw.replace(/\s+/g, ' ');
    this.plain = tidy(raw);
  }

  /** The decoded views that differ from the plain one, computed once. */
  decoded(): readonly View[] {
    if (this.decodedViews !== undefined) return this.decodedViews;
    const unicodeRaw = unicodeText(this.raw);
    const unicode = tidy(unicodeRaw);
    const candidates: View[] = [
      { name: 'unicode', text: unicode },
      { name: 'leetspeak', text: unLeet(unicode) },
      { name: 'split', text: tidy(unsplit(unicodeRaw.toLowerCase())) },
      { name: 'base64', text: tidy(base64Payloads(unicodeRaw)) },
      { name: 'rot13', text: rot13(unicode) },
      { name: 'reversed', text: [...unicode].reverse().join('') },
    ];
    this.decodedViews = candidates.filter((v) => v.text !== '' && v.text !== this.plain);
    return this.decodedViews;
  }

  /** The prompt carries Unicode tag characters (invisible ASCII smuggling). */
  hasTagCharacters(): boolean {
    return /[\u{E0020}-\u{E007E}]{3,}/u.test(this.raw);
  }

  /**
   * The prompt spells words with regional-indicator letters (🇭🇴🇼): several
   * runs, one of odd length, so not a row of flags (flags are pairs).
   */
  hasEmojiLetters(): boolean {
    const runs = [...this.raw.matchAll(/[\u{1F1E6}-\u{1F1FF}]+/gu)].map((r) => [...r[0]].length);
    return runs.length >= 2 && runs.reduce((a, b) => a + b, 0) >= 6 && runs.some((n) => n % 2 === 1);
  }
}
