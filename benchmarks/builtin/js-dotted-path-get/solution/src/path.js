'use strict';

// Split "servers[0].ports[1]" into ["servers", "0", "ports", "1"]; an array of keys is used as given.
function keysOf(path) {
  if (Array.isArray(path)) return path.map(String);
  const keys = [];
  for (const part of String(path).split('.')) {
    const name = part.replace(/\[\d+\]/g, '');
    if (name !== '') keys.push(name);
    for (const m of part.matchAll(/\[(\d+)\]/g)) keys.push(m[1]);
  }
  return keys;
}

// Read a nested value, e.g. get(settings, 'editor.fontSize', 12) or get(config, 'servers[0].port').
// Returns defaultValue when the path is missing or leads through null/undefined; falsy values are kept.
function get(obj, path, defaultValue) {
  let value = obj;
  for (const key of keysOf(path)) {
    if (value === null || value === undefined) return defaultValue;
    value = value[key];
  }
  return value === undefined ? defaultValue : value;
}

module.exports = { get };
