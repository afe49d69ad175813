export const JSON_MIME = 'application/json';
export const PLAIN_MIME = 'text/plain';
export const XML_MIME = 'application/xml';
export const YAML_MIME = 'application/x-yaml';

/** What lura's negotiated render offers, in its order. */
const OFFERS = [JSON_MIME, PLAIN_MIME, XML_MIME, YAML_MIME] as const;
export type Offer = (typeof OFFERS)[number];

/**
 * gin's NegotiateFormat as lura's `negotiate` render calls it: the first Accept entry (parameters dropped,
 * no q-values) that matches an offer, with `*` matching anything from its position; nothing matching (or
 * no Accept) answers JSON. `text/plain` and `application/x-yaml` are YAML; `application/xml` is XML.
 */
export function negotiate(accept: string | undefined): Offer {
  if (!accept) return JSON_MIME;
  for (const part of accept.split(',')) {
    const accepted = (part.split(';')[0] as string).trim();
    if (!accepted) continue;
    for (const offer of OFFERS) {
      let i = 0;
      for (; i < accepted.length && i < offer.length; i++) {
        if (accepted[i] === '*' || offer[i] === '*') return offer;
        if (accepted[i] !== offer[i]) break;
      }
      if (i === accepted.length) return offer;
    }
  }
  return JSON_MIME;
}
