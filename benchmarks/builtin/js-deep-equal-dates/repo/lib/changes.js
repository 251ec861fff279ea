'use strict';
const { deepEqual } = require('./equal');

// Names of the fields whose values differ between two versions of a record.
function changedFields(before, after) {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !deepEqual(before[k], after[k])).sort();
}

function hasChanged(before, after) {
  return changedFields(before, after).length > 0;
}

module.exports = { changedFields, hasChanged };
