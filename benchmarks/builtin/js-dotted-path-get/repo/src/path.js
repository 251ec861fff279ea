'use strict';

// Read a nested value, e.g. get(settings, 'editor.fontSize', 12).
function get(obj, path, defaultValue) {
  let value = obj;
  for (const key of path.split('.')) {
    value = value[key];
  }
  return value || defaultValue;
}

module.exports = { get };
