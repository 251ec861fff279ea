'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { CookieJar } = require('../src/jar');
const { parseSetCookie } = require('../src/cookies');

test('parse flags', () => {
  const c = parseSetCookie('id=a3fW; Path=/; Secure; HttpOnly');
  assert.strictEqual(c.name, 'id');
  assert.strictEqual(c.value, 'a3fW');
  assert.strictEqual(c.secure, true);
  assert.strictEqual(c.httpOnly, true);
});

test('jar sends stored cookies', () => {
  const jar = new CookieJar(() => 0);
  jar.store('id=1; Path=/', 'https://shop.example/');
  jar.store('cart=7; Path=/cart', 'https://shop.example/');
  assert.strictEqual(jar.cookieHeader('https://shop.example/cart/items'), 'cart=7; id=1');
  assert.strictEqual(jar.cookieHeader('https://shop.example/'), 'id=1');
});
