export const JSON_MIME = 'application/json';
export const PLAIN_MIME = 'text/plain';

const OFFERS = [JSON_MIME, PLAIN_MIME] as const;

/**
 * gin's NegotiateFormat, which KrakenD's `negotiate` uses: the first Accept entry (parameters dropped,
 * no q-values) that matches an offer, with `*` matching anything from its position. KrakenD also offers
 * XML for data decoded from XML; Switchyard decodes no XML, so it offers JSON and YAML (text/plain).
 */
export function negotiate(accept: string | undefined): (typeof OFFERS)[number] {
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
