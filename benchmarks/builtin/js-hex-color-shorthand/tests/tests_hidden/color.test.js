'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseHex, toHex } = require('../src/color');
const { cssVariables } = require('../src/theme');

test('short forms repeat each digit', () => {
  assert.deepStrictEqual(parseHex('#abc'), { r: 170, g: 187, b: 204, a: 1 });
  assert.deepStrictEqual(parseHex('#fff'), { r: 255, g: 255, b: 255, a: 1 });
  assert.deepStrictEqual(parseHex('#f008'), { r: 255, g: 0, b: 0, a: 0.533 });
  assert.deepStrictEqual(parseHex('0f0f'), { r: 0, g: 255, b: 0, a: 1 });
});

test('alpha', () => {
  assert.deepStrictEqual(parseHex('#ff000080'), { r: 255, g: 0, b: 0, a: 0.502 });
  assert.deepStrictEqual(parseHex('#00000000'), { r: 0, g: 0, b: 0, a: 0 });
  assert.deepStrictEqual(parseHex('#123456ff'), { r: 18, g: 52, b: 86, a: 1 });
});

test('case and missing #', () => {
  assert.deepStrictEqual(parseHex('ABCDEF'), { r: 171, g: 205, b: 239, a: 1 });
  assert.deepStrictEqual(parseHex('#AbC'), parseHex('#aabbcc'));
});

for (const bad of ['#12', '#ggg', '#12345', '#1234567', '#123456789', '', '#', 'red', '##abc', '#ab c', 'abc#',
  '#0x1234']) {
  test(`invalid ${JSON.stringify(bad)}`, () => {
    assert.strictEqual(parseHex(bad), null);
  });
}

test('round trip', () => {
  assert.strictEqual(toHex(parseHex('#ABC')), '#aabbcc');
  assert.strictEqual(toHex(parseHex('#ff000080')), '#ff000080');
  assert.strictEqual(toHex(parseHex('#f008')), '#ff000088');
});

test('theme', () => {
  assert.deepStrictEqual(cssVariables({ accent: '#0af', shade: '#00000040', bad: '#12' }), {
    vars: { '--accent': '#00aaff', '--shade': '#00000040' },
    errors: ['bad: invalid colour "#12"'],
  });
});
