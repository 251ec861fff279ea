'use strict';
const { escapeHtml } = require('./escape');

// Fill a template: {{ name }} is HTML-escaped, {{{ name }}} is inserted as is.
function render(template, data) {
  return template
    .replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => escapeHtml(data[name]))
    .replace(/\{\{\{\s*(\w+)\s*\}\}\}/g, (_, name) => data[name]);
}

module.exports = { render };
