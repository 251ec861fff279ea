'use strict';
const { applyMergePatch } = require('./mergePatch');

const DEFAULTS = { theme: 'light', language: 'en', tags: [], notifications: { email: { enabled: false } } };

// Settings as the UI shows them: stored values over the defaults.
function effective(stored) {
  return { ...DEFAULTS, ...stored };
}

// PATCH /settings: returns the new stored settings; the previous ones are kept for undo.
function patchSettings(history, body) {
  const current = history[history.length - 1] || {};
  const next = applyMergePatch(current, JSON.parse(body));
  history.push(next);
  return next;
}

module.exports = { DEFAULTS, effective, patchSettings };
