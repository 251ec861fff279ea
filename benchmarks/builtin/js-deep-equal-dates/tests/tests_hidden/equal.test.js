'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { deepEqual } = require('../lib/equal');
const { changedFields, hasChanged } = require('../lib/changes');

test('dates compare by time', () => {
  assert.strictEqual(deepEqual(new Date('2024-01-01'), new Date('2025-06-30')), false);
  assert.strictEqual(deepEqual(new Date('2024-01-01'), new Date('2024-01-01')), true);
  assert.strictEqual(deepEqual(new Date('2024-01-01'), {}), false);
  assert.strictEqual(deepEqual({}, new Date(0)), false);
});

test('NaN equals NaN', () => {
  assert.strictEqual(deepEqual(NaN, NaN), true);
  assert.strictEqual(deepEqual({ score: NaN }, { score: NaN }), true);
  assert.strictEqual(deepEqual([NaN, 1], [NaN, 2]), false);
});

test('arrays are not objects', () => {
  assert.strictEqual(deepEqual([1], { 0: 1 }), false);
  assert.strictEqual(deepEqual({ 0: 1 }, [1]), false);
  assert.strictEqual(deepEqual([1, [2, { a: 3 }]], [1, [2, { a: 3 }]]), true);
});

test('change detection', () => {
  const before = { due: new Date('2024-03-01'), score: NaN, tags: ['a'] };
  const after = { due: new Date('2024-04-01'), score: NaN, tags: ['a'] };
  assert.deepStrictEqual(changedFields(before, after), ['due']);
  assert.strictEqual(hasChanged(before, { ...before, due: new Date('2024-03-01') }), false);
});
