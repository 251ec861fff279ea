'use strict';

function toCamel(key) {
  return key.replace(/_([a-z])/, (_, ch) => ch.toUpperCase());
}

// Convert the keys of an API response from snake_case to camelCase.
function camelizeKeys(value) {
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    out[toCamel(key)] = v;
  }
  return out;
}

module.exports = { toCamel, camelizeKeys };
