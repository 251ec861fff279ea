'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseHex, toHex } = require('../src/color');

test('six digits', () => {
  assert.deepStrictEqual(parseHex('#1e90ff'), { r: 30, g: 144, b: 255, a: 1 });
  assert.strictEqual(toHex({ r: 30, g: 144, b: 255, a: 1 }), '#1e90ff');
});
