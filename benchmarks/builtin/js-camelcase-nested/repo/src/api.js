'use strict';
const { camelizeKeys } = require('./case');

// Decode a JSON response body into the objects the UI uses.
function decodeResponse(body) {
  return camelizeKeys(JSON.parse(body));
}

module.exports = { decodeResponse };
