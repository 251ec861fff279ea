'use strict';

// Parse one Set-Cookie header value, e.g. "id=a3fW; Path=/; Secure; HttpOnly", into a cookie object.
// `expires` is a time in milliseconds since the epoch, or null for a session cookie.
function parseSetCookie(header, now = Date.now()) {
  const [pair, ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  const cookie = {
    name: (eq === -1 ? '' : pair.slice(0, eq)).trim(),
    value: (eq === -1 ? pair : pair.slice(eq + 1)).trim(),
    domain: null,
    path: null,
    expires: null,
    secure: false,
    httpOnly: false,
    sameSite: null,
  };
  let maxAge = null;
  for (const attribute of attributes) {
    const i = attribute.indexOf('=');
    const key = (i === -1 ? attribute : attribute.slice(0, i)).trim().toLowerCase();
    const val = i === -1 ? '' : attribute.slice(i + 1).trim();
    switch (key) {
      case 'domain':
        cookie.domain = val.replace(/^\./, '').toLowerCase() || null;
        break;
      case 'path':
        cookie.path = val;
        break;
      case 'expires': {
        const time = Date.parse(val);
        if (!Number.isNaN(time)) cookie.expires = time;
        break;
      }
      case 'max-age':
        if (/^-?\d+$/.test(val)) maxAge = Number(val);
        break;
      case 'secure':
        cookie.secure = true;
        break;
      case 'httponly':
        cookie.httpOnly = true;
        break;
      case 'samesite':
        cookie.sameSite = val;
        break;
      default:
        break;
    }
  }
  if (maxAge !== null) cookie.expires = maxAge <= 0 ? 0 : now + maxAge * 1000; // Max-Age wins over Expires
  return cookie;
}

// Some proxies fold several Set-Cookie headers into one line, separated by commas. Expires dates contain
// commas too ("Wed, 21 Oct 2026 ..."), so a comma only separates cookies when a new "name=" follows it.
function splitSetCookieHeader(combined) {
  const parts = [];
  let start = 0;
  for (let i = 0; i < combined.length; i += 1) {
    if (combined[i] === ',' && /^\s*[^=;,\s]+=/.test(combined.slice(i + 1))) {
      parts.push(combined.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(combined.slice(start));
  return parts.map((part) => part.trim()).filter(Boolean);
}

module.exports = { parseSetCookie, splitSetCookieHeader };
