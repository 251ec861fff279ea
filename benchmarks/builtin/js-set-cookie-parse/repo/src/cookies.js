'use strict';

// Parse one Set-Cookie header value, e.g. "id=a3fW; Path=/; Secure; HttpOnly", into a cookie object.
// `expires` is a time in milliseconds since the epoch, or null for a session cookie.
function parseSetCookie(header, now = Date.now()) {
  const [pair, ...attributes] = header.split(';');
  const [name, value = ''] = pair.split('=');
  const cookie = {
    name: name.trim(),
    value: value.trim(),
    domain: null,
    path: null,
    expires: null,
    secure: false,
    httpOnly: false,
    sameSite: null,
  };
  for (const attribute of attributes) {
    const [key, val = ''] = attribute.trim().split('=');
    switch (key) {
      case 'Domain':
        cookie.domain = val.trim().replace(/^\./, '').toLowerCase();
        break;
      case 'Path':
        cookie.path = val.trim();
        break;
      case 'Expires':
        cookie.expires = Date.parse(val);
        break;
      case 'Secure':
        cookie.secure = true;
        break;
      case 'HttpOnly':
        cookie.httpOnly = true;
        break;
      case 'SameSite':
        cookie.sameSite = val.trim();
        break;
      default:
        break;
    }
  }
  return cookie;
}

// Some proxies fold several Set-Cookie headers into one line, separated by commas.
function splitSetCookieHeader(combined) {
  return combined.split(',').map((part) => part.trim()).filter(Boolean);
}

module.exports = { parseSetCookie, splitSetCookieHeader };
