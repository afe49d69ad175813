import { XMLParser } from 'fast-xml-parser';
import { backendError } from '../errors/status.js';
import { parseXmlBody } from './xml-body.js';

/**
 * The `rss` backend encoding as krakend-rss decodes: gofeed's universal model of an RSS 2.0 or Atom feed,
 * under the keys krakend-rss picks (`items`, `author`, `categories`, `custom`, `copyright`, `description`,
 * `type`, `language`, `title`, `published`, `updated`, `img_url`), each item with gofeed's JSON field names.
 * Extensions (dc, itunes, media) other than the common dc fields are not mapped.
 */
type Node = Record<string, unknown>;
type Person = { name?: string; email?: string };

const ARRAYS = new Set(['item', 'entry', 'category', 'link', 'enclosure', 'author']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** An element's text, whether it has attributes or not. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isNode(v) && typeof v['#text'] === 'string') return v['#text'];
  if (Array.isArray(v)) return text(v[0]);
  return '';
}

/** gofeed's ParseNameAddress: `mail@x (Name)`, `Name <mail@x>`, a bare address or a bare name. */
function person(raw: string): Person | null {
  const s = raw.trim();
  if (!s) return null;
  let m = /^(\S+@\S+)\s*\((.*)\)$/.exec(s);
  if (m) return { name: (m[2] as string).trim(), email: m[1] as string };
  m = /^(.*)<(\S+@\S+)>$/.exec(s);
  if (m) return { name: (m[1] as string).trim(), email: m[2] as string };
  if (/^\S+@\S+$/.test(s)) return { email: s };
  return { name: s };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ZONES: Record<string, number> = {
  GMT: 0,
  UT: 0,
  UTC: 0,
  Z: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

/** A feed date as Go marshals the time gofeed parses (RFC 3339, the date's own offset); null if unreadable. */
export function parsedDate(raw: string): string | null {
  const s = raw.trim();
  let offset: number | undefined;
  let parts: number[] | null = null;
  const rfc822 =
    /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([A-Za-z]+|[+-]\d{4})?$/.exec(
      s,
    );
  if (rfc822) {
    const month = MONTHS.indexOf(
      (rfc822[2] as string).slice(0, 1).toUpperCase() + (rfc822[2] as string).slice(1).toLowerCase(),
    );
    if (month < 0) return null;
    let year = Number(rfc822[3]);
    if (year < 100) year += year < 70 ? 2000 : 1900;
    const zone = rfc822[7] ?? 'GMT';
    offset = /^[+-]/.test(zone)
      ? (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)))
      : ZONES[zone.toUpperCase()];
    if (offset === undefined) offset = 0;
    parts = [
      year,
      month + 1,
      Number(rfc822[1]),
      Number(rfc822[4]),
      Number(rfc822[5]),
      Number(rfc822[6] ?? 0),
    ];
  }
  const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
    s,
  );
  if (rfc3339) {
    const zone = rfc3339[8] as string;
    offset = /^[Zz]$/.test(zone)
      ? 0
      : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
    parts = [1, 2, 3, 4, 5, 6].map((i) => Number(rfc3339[i]));
    const frac = (rfc3339[7] ?? '').replace(/0+$/, '');
    const pad = (n: number) => String(n).padStart(2, '0');
    const [y, mo, d, h, mi, se] = parts as [number, number, number, number, number, number];
    return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(se)}${frac === '.' ? '' : frac}${zoneText(offset)}`;
  }
  if (!parts || offset === undefined) return null;
  const [y, mo, d, h, mi, se] = parts as [number, number, number, number, number, number];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(y).padStart(4, '0')}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(se)}${zoneText(offset)}`;
}

function zoneText(offset: number): string {
  if (offset === 0) return 'Z';
  const a = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Sets `key` only when the value is not empty (gofeed's `omitempty`). */
function put(out: Node, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '') return;
  if (Array.isArray(value) && value.length === 0) return;
  out[key] = value;
}

function dated(out: Node, key: string, raw: string): void {
  put(out, key, raw);
  if (raw) put(out, `${key}Parsed`, parsedDate(raw));
}

function withAuthor(out: Node, author: Person | null): void {
  if (!author) return;
  out.author = author;
  out.authors = [author];
}

function rssItem(item: Node): Node {
  const out: Node = {};
  put(out, 'title', text(item.title) || text(item['dc:title']));
  put(out, 'description', text(item.description));
  put(out, 'content', text(item['content:encoded']));
  const link = text(item.link);
  put(out, 'link', link);
  put(out, 'links', link ? [link] : []);
  dated(out, 'published', text(item.pubDate) || text(item['dc:date']));
  withAuthor(out, person(text(item.author) || text(item['dc:creator'])));
  put(out, 'guid', text(item.guid));
  put(out, 'categories', list(item.category).map(text).filter(Boolean));
  put(
    out,
    'enclosures',
    list(item.enclosure)
      .filter(isNode)
      .map((e) => {
        const enc: Node = {};
        put(enc, 'url', e['@url']);
        put(enc, 'length', e['@length']);
        put(enc, 'type', e['@type']);
        return enc;
      }),
  );
  return out;
}

function atomLinks(links: unknown): { link: string; links: string[] } {
  const all = list(links).filter(isNode);
  const hrefs = all.map((l) => String(l['@href'] ?? '')).filter(Boolean);
  const alternate = all.find((l) => (l['@rel'] ?? 'alternate') === 'alternate');
  return { link: String(alternate?.['@href'] ?? hrefs[0] ?? ''), links: hrefs };
}

function atomPerson(authors: unknown): Person | null {
  const first = list(authors).find(isNode);
  if (!first) return null;
  const p: Person = {};
  const name = text(first.name);
  const email = text(first.email);
  if (name) p.name = name;
  if (email) p.email = email;
  return name || email ? p : null;
}

function atomEntry(entry: Node): Node {
  const out: Node = {};
  put(out, 'title', text(entry.title));
  put(out, 'description', text(entry.summary));
  put(out, 'content', text(entry.content));
  const { link, links } = atomLinks(entry.link);
  put(out, 'link', link);
  put(out, 'links', links);
  dated(out, 'updated', text(entry.updated));
  dated(out, 'published', text(entry.published));
  withAuthor(out, atomPerson(entry.author));
  put(out, 'guid', text(entry.id));
  put(
    out,
    'categories',
    list(entry.category)
      .filter(isNode)
      .map((c) => String(c['@term'] ?? ''))
      .filter(Boolean),
  );
  return out;
}

/** Decodes an RSS 2.0 or Atom feed into krakend-rss's data. */
export function decodeFeed(body: Buffer, url: string, maxBytes: number): Record<string, unknown> {
  const doc = parseXmlBody(parser, body, url, maxBytes);
  const root = isNode(doc) ? doc : {};
  if (isNode(root.rss) && isNode(root.rss.channel)) {
    const ch = root.rss.channel;
    const image = isNode(ch.image) ? text(ch.image.url) : '';
    return {
      items: list(ch.item).filter(isNode).map(rssItem),
      author: person(text(ch.managingEditor) || text(ch.webMaster) || text(ch['dc:creator'])),
      categories: nullIfEmpty(list(ch.category).map(text).filter(Boolean)),
      custom: null,
      copyright: text(ch.copyright) || text(ch['dc:rights']),
      description: text(ch.description),
      type: 'rss',
      language: text(ch.language) || text(ch['dc:language']),
      title: text(ch.title),
      published: text(ch.pubDate),
      updated: text(ch.lastBuildDate) || text(ch['dc:date']),
      ...(image ? { img_url: image } : {}),
    };
  }
  if (isNode(root.feed)) {
    const feed = root.feed;
    const logo = text(feed.logo);
    return {
      items: list(feed.entry).filter(isNode).map(atomEntry),
      author: atomPerson(feed.author),
      categories: nullIfEmpty(
        list(feed.category)
          .filter(isNode)
          .map((c) => String(c['@term'] ?? ''))
          .filter(Boolean),
      ),
      custom: null,
      copyright: text(feed.rights),
      description: text(feed.subtitle),
      type: 'atom',
      language: String(feed['@xml:lang'] ?? ''),
      title: text(feed.title),
      published: '',
      updated: text(feed.updated),
      ...(logo ? { img_url: logo } : {}),
    };
  }
  throw backendError('SWY_BACKEND_BAD_RESPONSE', 'Failed to detect feed type', { url });
}

const nullIfEmpty = (a: string[]) => (a.length === 0 ? null : a);
