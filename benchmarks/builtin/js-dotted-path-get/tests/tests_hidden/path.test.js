'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { get } = require('../src/path');
const { setting } = require('../src/settings');

const config = {
  servers: [
    { host: 'a.example', ports: [80, 443] },
    { host: 'b.example', ports: [8080] },
  ],
  matrix: [[1, 2], [3, 4]],
  flags: { beta: false, retries: 0, name: '', parent: null },
  'log.level': 'debug',
  plugins: { 'eslint.config': { rules: { semi: 'error' } } },
};

test('array indexes', () => {
  assert.strictEqual(get(config, 'servers[0].host'), 'a.example');
  assert.strictEqual(get(config, 'servers[1].ports[0]'), 8080);
  assert.strictEqual(get(config, 'servers[0].ports[1]'), 443);
  assert.strictEqual(get(config, 'matrix[1][0]'), 3);
  assert.deepStrictEqual(get(config, 'matrix[0]'), [1, 2]);
  assert.strictEqual(get([{ name: 'x' }], '[0].name'), 'x');
});

test('missing paths give the default', () => {
  assert.strictEqual(get(config, 'servers[5].host', 'none'), 'none');
  assert.strictEqual(get(config, 'servers[1].ports[3]', -1), -1);
  assert.strictEqual(get(config, 'nope.deeper.still', 'd'), 'd');
  assert.strictEqual(get(config, 'flags.parent.name', 'root'), 'root');
  assert.strictEqual(get(config, 'flags.missing'), undefined);
  assert.strictEqual(get(undefined, 'a.b', 7), 7);
  assert.strictEqual(get(null, 'a', 7), 7);
  assert.strictEqual(get({ a: undefined }, 'a', 'dflt'), 'dflt');
});

test('falsy values are returned as they are', () => {
  assert.strictEqual(get(config, 'flags.beta', true), false);
  assert.strictEqual(get(config, 'flags.retries', 3), 0);
  assert.strictEqual(get(config, 'flags.name', 'anon'), '');
  assert.strictEqual(get(config, 'flags.parent', 'p'), null);
});

test('array of keys for keys with dots', () => {
  assert.strictEqual(get(config, ['log.level']), 'debug');
  assert.strictEqual(get(config, ['plugins', 'eslint.config', 'rules', 'semi']), 'error');
  assert.strictEqual(get(config, ['servers', 0, 'host']), 'a.example');
  assert.strictEqual(get(config, ['plugins', 'eslint', 'config'], 'x'), 'x');
});

test('settings fall back to defaults only when unset', () => {
  const user = { editor: { wordWrap: false, tabSize: 0, rulers: [100] }, files: { exclude: [] } };
  assert.strictEqual(setting(user, 'editor.wordWrap'), false);
  assert.strictEqual(setting(user, 'editor.tabSize'), 0);
  assert.strictEqual(setting(user, 'editor.fontSize'), 14);
  assert.strictEqual(setting(user, 'editor.rulers[0]'), 100);
  assert.strictEqual(setting(user, 'editor.rulers[1]'), 120);
  assert.strictEqual(setting({}, 'terminal.shell'), 'bash');
  assert.strictEqual(setting(user, 'files.exclude[0]'), 'node_modules');
  assert.strictEqual(setting(user, 'nothing.here'), undefined);
});
