'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseRanges } = require('../src/ranges');

test('simple list', () => {
  assert.deepStrictEqual(parseRanges('1,3', 5), [1, 3]);
});
