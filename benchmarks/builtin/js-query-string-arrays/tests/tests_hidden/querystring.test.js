'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseQuery, buildQuery } = require('../src/querystring');
const { parseUrl } = require('../src/router');

test('repeated keys become arrays', () => {
  assert.deepStrictEqual(parseQuery('?tag=a&tag=b&q=hello+world'), { tag: ['a', 'b'], q: 'hello world' });
  assert.deepStrictEqual(parseQuery('x=1&x=2&x=3'), { x: ['1', '2', '3'] });
});

test('decoding and odd pieces', () => {
  assert.deepStrictEqual(parseQuery('a=%26b%3D&flag&&c=1=2'), { a: '&b=', flag: '', c: '1=2' });
  assert.deepStrictEqual(parseQuery(''), {});
  assert.deepStrictEqual(parseQuery('?'), {});
});

test('round trip', () => {
  const params = { q: 'a b&c=d', tag: ['x y', '+'], empty: '', 'we ird': 'ü' };
  const text = buildQuery(params);
  assert.ok(!text.includes(' '));
  assert.deepStrictEqual(parseQuery(text), params);
});

test('router', () => {
  assert.deepStrictEqual(parseUrl('/search?tag=a&tag=b'), { path: '/search', query: { tag: ['a', 'b'] } });
});
