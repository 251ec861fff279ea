'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { escapeHtml } = require('../src/escape');
const { render } = require('../src/render');
const { commentCard } = require('../src/card');

test('escape once', () => {
  assert.strictEqual(escapeHtml('Tom & Jerry <3'), 'Tom &amp; Jerry &lt;3');
  assert.strictEqual(escapeHtml(`"it's" > &amp;`), '&quot;it&#39;s&quot; &gt; &amp;amp;');
  assert.strictEqual(escapeHtml(42), '42');
});

test('render escaped and raw', () => {
  assert.strictEqual(render('<b>{{ x }}</b>{{{ y }}}', { x: '<i>', y: '<i>ok</i>' }), '<b>&lt;i&gt;</b><i>ok</i>');
  assert.strictEqual(render('[{{ missing }}|{{{ gone }}}]', {}), '[|]');
  assert.strictEqual(render('{{a}}{{ a }}', { a: '&' }), '&amp;&amp;');
});

test('card', () => {
  const html = commentCard({ author: '" onmouseover="alert(1)', text: 'Tom & Jerry <3', badge: '<em>mod</em>' });
  assert.strictEqual(html,
    '<div class="card" title="&quot; onmouseover=&quot;alert(1)"><p>Tom &amp; Jerry &lt;3</p><em>mod</em></div>');
});
