'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseQuery } = require('../src/querystring');

test('single values', () => {
  assert.deepStrictEqual(parseQuery('?a=1&b=two'), { a: '1', b: 'two' });
});
