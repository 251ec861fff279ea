'use strict';

function toCamel(key) {
  return key.replace(/(?<=[A-Za-z0-9])_([a-z0-9])/g, (_, ch) => ch.toUpperCase());
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

// Convert the keys of an API response from snake_case to camelCase, at every level.
function camelizeKeys(value) {
  if (Array.isArray(value)) return value.map(camelizeKeys);
  if (!isPlainObject(value)) return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    out[toCamel(key)] = camelizeKeys(v);
  }
  return out;
}

module.exports = { toCamel, camelizeKeys };
