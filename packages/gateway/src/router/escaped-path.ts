const HEX = '0123456789ABCDEF';

/**
 * Bytes Go's `url.URL.EscapedPath()` writes as they are (shouldEscape with encodePath): letters, digits,
 * `-_.~` and the reserved `$&+,/:;=@`. Everything else (`\`, spaces, controls, quotes, non-ASCII…) is
 * percent-encoded.
 */
const KEEP = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~$&+,/:;=@') {
  KEEP[c.charCodeAt(0)] = 1;
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/**
 * A redirect's path as gin writes it: Go decodes the request path, changes it, and `http.Redirect` writes
 * `URL.EscapedPath()` — so `\` goes out as `%5C` (a browser reads `/\host` as `//host`: an open redirect).
 * `raw` is the request path as Node gives it (each char one byte, latin1); a valid `%XX` is decoded
 * first, as Go's unescape does, an invalid `%` is kept as a literal `%25`.
 */
export function escapedPath(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    let code = raw.charCodeAt(i);
    if (code === 37 && isHex(raw.charCodeAt(i + 1)) && isHex(raw.charCodeAt(i + 2))) {
      code = Number.parseInt(raw.slice(i + 1, i + 3), 16);
      i += 2;
    }
    if (code > 0xff) {
      // Not a byte: only reachable from a caller outside Node's parser; encode it as UTF-8.
      for (const byte of Buffer.from(String.fromCharCode(code), 'utf8'))
        out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    } else if (code < 128 && KEEP[code] === 1) {
      out += String.fromCharCode(code);
    } else {
      out += `%${HEX[code >> 4]}${HEX[code & 15]}`;
    }
  }
  return out;
}
