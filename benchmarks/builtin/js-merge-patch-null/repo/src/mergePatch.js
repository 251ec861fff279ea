'use strict';

function isObject(value) {
  return value !== null && typeof value === 'object';
}

// Apply a JSON Merge Patch (RFC 7386) to target and return the result.
function applyMergePatch(target, patch) {
  if (!isObject(patch)) return patch;
  const result = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (isObject(value) && isObject(result[key])) {
      result[key] = applyMergePatch(result[key], value);
    } else {
      result[key] = value;
    }
  }
  return result;
}

module.exports = { applyMergePatch };
