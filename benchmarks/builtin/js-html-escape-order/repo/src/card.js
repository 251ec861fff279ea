'use strict';
const { render } = require('./render');

const CARD = '<div class="card" title="{{ author }}"><p>{{ text }}</p>{{{ badge }}}</div>';

function commentCard(comment) {
  return render(CARD, comment);
}

module.exports = { commentCard };
