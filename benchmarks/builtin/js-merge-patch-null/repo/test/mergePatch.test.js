'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { applyMergePatch } = require('../src/mergePatch');

test('replaces and adds members', () => {
  assert.deepStrictEqual(applyMergePatch({ a: 'b', c: 1 }, { a: 'z', d: true }), { a: 'z', c: 1, d: true });
});

test('non-object patch replaces the target', () => {
  assert.strictEqual(applyMergePatch({ a: 1 }, 'text'), 'text');
});
