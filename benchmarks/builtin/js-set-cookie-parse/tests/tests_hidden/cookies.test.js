'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseSetCookie, splitSetCookieHeader } = require('../src/cookies');
const { CookieJar } = require('../src/jar');

const NOW = Date.UTC(2026, 0, 1);

test('folded header with Expires dates', () => {
  assert.deepStrictEqual(splitSetCookieHeader(
    'session=abc; Expires=Wed, 21 Oct 2026 07:28:00 GMT, theme=dark,lang=en; Path=/',
  ), ['session=abc; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'theme=dark', 'lang=en; Path=/']);
  assert.deepStrictEqual(splitSetCookieHeader('list=a,b,c; Path=/'), ['list=a,b,c; Path=/']);
  assert.deepStrictEqual(splitSetCookieHeader(
    'a=1; expires=Thu, 01 Jan 2027 00:00:00 GMT; Path=/, b=2; expires=Fri, 02 Jan 2027 00:00:00 GMT',
  ), ['a=1; expires=Thu, 01 Jan 2027 00:00:00 GMT; Path=/', 'b=2; expires=Fri, 02 Jan 2027 00:00:00 GMT']);
});

test('value keeps later = signs', () => {
  const c = parseSetCookie('token=eyJhbGciOi==; Path=/', NOW);
  assert.strictEqual(c.name, 'token');
  assert.strictEqual(c.value, 'eyJhbGciOi==');
  assert.strictEqual(parseSetCookie('q=a=b=c', NOW).value, 'a=b=c');
  assert.strictEqual(parseSetCookie(' empty= ; Path=/', NOW).value, '');
});

test('attribute names are case-insensitive', () => {
  const c = parseSetCookie('id=1; path=/api; secure; httponly; DOMAIN=.Example.COM; samesite=Lax', NOW);
  assert.strictEqual(c.path, '/api');
  assert.strictEqual(c.secure, true);
  assert.strictEqual(c.httpOnly, true);
  assert.strictEqual(c.domain, 'example.com');
  assert.strictEqual(c.sameSite, 'Lax');
  assert.strictEqual(parseSetCookie('id=1; EXPIRES=Wed, 21 Oct 2026 07:28:00 GMT', NOW).expires,
    Date.UTC(2026, 9, 21, 7, 28));
});

test('Max-Age', () => {
  assert.strictEqual(parseSetCookie('a=1; Max-Age=3600', NOW).expires, NOW + 3600 * 1000);
  assert.strictEqual(parseSetCookie('a=1; max-age=60; Expires=Wed, 21 Oct 2026 07:28:00 GMT', NOW).expires,
    NOW + 60000);
  assert.strictEqual(parseSetCookie('a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Max-Age=60', NOW).expires,
    NOW + 60000);
  assert.strictEqual(parseSetCookie('a=; Max-Age=0', NOW).expires, 0);
  assert.strictEqual(parseSetCookie('a=; Max-Age=-5', NOW).expires, 0);
  assert.strictEqual(parseSetCookie('a=1; Max-Age=soon', NOW).expires, null);
  assert.strictEqual(parseSetCookie('a=1; Expires=someday', NOW).expires, null);
  assert.strictEqual(parseSetCookie('a=1; Max-Age=1.5; Expires=Wed, 21 Oct 2026 07:28:00 GMT', NOW).expires,
    Date.UTC(2026, 9, 21, 7, 28));
});

test('logout deletes the session', () => {
  let now = NOW;
  const jar = new CookieJar(() => now);
  jar.store('session=abc; Path=/; Max-Age=86400, theme=dark; Path=/', 'https://app.example/login');
  assert.strictEqual(jar.cookieHeader('https://app.example/home'), 'session=abc; theme=dark');
  now += 1000;
  jar.store('session=; path=/; max-age=0', 'https://app.example/logout');
  assert.strictEqual(jar.cookieHeader('https://app.example/home'), 'theme=dark');
});

test('expiry from a folded header', () => {
  let now = Date.UTC(2026, 9, 21, 7, 0);
  const jar = new CookieJar(() => now);
  jar.store('session=abc; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, theme=dark; Path=/',
    'https://app.example/');
  assert.strictEqual(jar.cookieHeader('https://app.example/'), 'session=abc; theme=dark');
  now = Date.UTC(2026, 9, 21, 7, 29);
  assert.strictEqual(jar.cookieHeader('https://app.example/'), 'theme=dark');
});

test('one cookie per name, domain and path', () => {
  const jar = new CookieJar(() => NOW);
  jar.store('pref=b; Path=/', 'https://app.example/');
  jar.store('other=x; Path=/', 'https://app.example/');
  jar.store('pref=a; Path=/admin', 'https://app.example/');
  assert.strictEqual(jar.cookieHeader('https://app.example/admin/users'), 'pref=a; pref=b; other=x');
  assert.strictEqual(jar.cookieHeader('https://app.example/'), 'pref=b; other=x');
  jar.store('pref=c; Path=/', 'https://app.example/');
  assert.strictEqual(jar.cookieHeader('https://app.example/'), 'pref=c; other=x');
  jar.store('pref=e; Path=/', 'https://api.app.example/');
  assert.strictEqual(jar.cookieHeader('https://api.app.example/'), 'pref=e');
  jar.store('pref=d; Path=/; Domain=app.example', 'https://app.example/'); // same triple as pref=c
  assert.strictEqual(jar.cookieHeader('https://app.example/'), 'pref=d; other=x');
  assert.strictEqual(jar.cookieHeader('https://api.app.example/'), 'pref=d; pref=e');
});
