'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseRanges, formatRanges } = require('../src/ranges');
const { checkField } = require('../src/dialog');

test('open ranges, sorting, duplicates', () => {
  assert.deepStrictEqual(parseRanges('1-3, 7, 10-', 12), [1, 2, 3, 7, 10, 11, 12]);
  assert.deepStrictEqual(parseRanges('-3', 9), [1, 2, 3]);
  assert.deepStrictEqual(parseRanges('2,2,1', 5), [1, 2]);
  assert.deepStrictEqual(parseRanges(' 4 - 5 ,1', 5), [1, 4, 5]);
});

for (const bad of ['5-2', '0', '11', '1,,2', 'x', '3-z', '-', '1-2-3', '']) {
  test(`rejects ${JSON.stringify(bad)}`, () => {
    assert.throws(() => parseRanges(bad, 10), (err) => err instanceof RangeError);
  });
}

test('message quotes the bad item', () => {
  assert.throws(() => parseRanges('1-2, 9-4', 10), /"9-4"/);
});

test('format', () => {
  assert.strictEqual(formatRanges([1, 2, 3, 5, 7, 8]), '1-3,5,7-8');
  assert.strictEqual(formatRanges([4]), '4');
  assert.strictEqual(formatRanges([]), '');
});

test('dialog', () => {
  assert.deepStrictEqual(checkField('3,1-2', 4), { ok: true, pages: [1, 2, 3], text: '1-3' });
  assert.strictEqual(checkField('9', 4).ok, false);
});
