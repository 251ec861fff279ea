'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { memoizeAsync } = require('../lib/memo');

test('caches a resolved value', async () => {
  let calls = 0;
  const double = memoizeAsync(async (n) => { calls += 1; return n * 2; });
  assert.strictEqual(await double(2), 4);
  assert.strictEqual(await double(2), 4);
  assert.strictEqual(calls, 1);
});
