'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { get } = require('../src/path');

test('nested objects', () => {
  assert.strictEqual(get({ editor: { fontSize: 16 } }, 'editor.fontSize', 12), 16);
  assert.strictEqual(get({ editor: {} }, 'editor.fontSize', 12), 12);
});
