'use strict';
const { get } = require('./path');

const DEFAULTS = {
  editor: { fontSize: 14, tabSize: 4, wordWrap: true, rulers: [80, 120] },
  files: { exclude: ['node_modules', '.git'], autoSave: 'off' },
  terminal: { shell: 'bash' },
};

// A user setting, falling back to the built-in default for the same path.
function setting(user, path) {
  return get(user, path, get(DEFAULTS, path));
}

module.exports = { DEFAULTS, setting };
