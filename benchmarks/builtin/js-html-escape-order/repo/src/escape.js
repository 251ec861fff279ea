'use strict';

const ENTITIES = [['<', '&lt;'], ['>', '&gt;'], ['&', '&amp;']];

function escapeHtml(text) {
  let out = String(text);
  for (const [ch, entity] of ENTITIES) out = out.split(ch).join(entity);
  return out;
}

module.exports = { escapeHtml };
