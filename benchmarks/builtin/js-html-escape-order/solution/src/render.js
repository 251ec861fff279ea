'use strict';
const { escapeHtml } = require('./escape');

// Fill a template: {{ name }} is HTML-escaped, {{{ name }}} is inserted as is (one pass, triple braces first).
function render(template, data) {
  return template.replace(/\{\{\{\s*(\w+)\s*\}\}\}|\{\{\s*(\w+)\s*\}\}/g, (_, raw, name) => {
    const value = data[raw || name];
    if (value === undefined || value === null) return '';
    return raw ? String(value) : escapeHtml(value);
  });
}

module.exports = { render };
