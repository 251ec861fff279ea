'use strict';
const { parseSetCookie, splitSetCookieHeader } = require('./cookies');

function domainMatches(host, cookie) {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

// RFC 6265 default-path: the request path up to, not including, its last "/" (or "/").
function defaultPath(requestPath) {
  const i = requestPath.lastIndexOf('/');
  return i <= 0 ? '/' : requestPath.slice(0, i);
}

// The cookies of an HTTP client, for the integration-test harness that replays recorded sessions.
class CookieJar {
  constructor(clock = () => Date.now()) {
    this.clock = clock;
    this.cookies = new Map();
  }

  // Store the cookies of a response: `setCookie` is the (possibly folded) Set-Cookie header value.
  store(setCookie, requestUrl) {
    const url = new URL(requestUrl);
    for (const part of splitSetCookieHeader(setCookie)) {
      const cookie = parseSetCookie(part, this.clock());
      if (!cookie.name) continue;
      cookie.hostOnly = cookie.domain === null;
      if (cookie.hostOnly) cookie.domain = url.hostname;
      else if (!domainMatches(url.hostname, cookie)) continue; // a site may not set cookies for others
      if (cookie.path === null || !cookie.path.startsWith('/')) cookie.path = defaultPath(url.pathname);
      this.cookies.set(cookie.name, cookie);
    }
  }

  // The Cookie header to send with a request to url: longest paths first, then in the order first stored.
  cookieHeader(requestUrl) {
    const url = new URL(requestUrl);
    const now = this.clock();
    const matching = [];
    for (const [key, cookie] of this.cookies) {
      if (cookie.expires !== null && cookie.expires <= now) {
        this.cookies.delete(key);
        continue;
      }
      if (!domainMatches(url.hostname, cookie) || !pathMatches(url.pathname, cookie.path)) continue;
      if (cookie.secure && url.protocol !== 'https:') continue;
      matching.push(cookie);
    }
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

module.exports = { CookieJar };
