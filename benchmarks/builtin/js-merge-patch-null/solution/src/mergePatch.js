'use strict';

// A JSON object: not null, not an array.
function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// Own keys are defined, never assigned, so that "__proto__" stays an ordinary member name.
function define(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

// A deep copy of a JSON value, so that the result shares nothing mutable with the arguments.
function clone(value) {
  if (Array.isArray(value)) return value.map(clone);
  if (!isObject(value)) return value;
  const out = {};
  for (const key of Object.keys(value)) define(out, key, clone(value[key]));
  return out;
}

// Apply a JSON Merge Patch (RFC 7386) to target and return the result; neither argument is modified.
function applyMergePatch(target, patch) {
  if (!isObject(patch)) return clone(patch);
  const result = isObject(target) ? clone(target) : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else {
      const current = Object.prototype.hasOwnProperty.call(result, key) ? result[key] : undefined;
      define(result, key, applyMergePatch(current, value));
    }
  }
  return result;
}

module.exports = { applyMergePatch };
