'use strict';
const { parseHex, toHex } = require('./color');

// Normalise a theme's colours for the CSS variables; invalid entries are reported, not written.
function cssVariables(theme) {
  const vars = {};
  const errors = [];
  for (const [name, value] of Object.entries(theme)) {
    const color = parseHex(value);
    if (color === null) errors.push(`${name}: invalid colour ${JSON.stringify(value)}`);
    else vars[`--${name}`] = toHex(color);
  }
  return { vars, errors };
}

module.exports = { cssVariables };
