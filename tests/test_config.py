"""gitdgm.toml: defaults, the template `gitdgm init` writes, and errors that name the file, key and choices."""

from __future__ import annotations

import re

import pytest

from gitdgm.config import Config, default_config_text, load_config, parse_config
from gitdgm.errors import ConfigError


def test_no_file_means_defaults() -> None:
    assert load_config(None) == Config()


def test_the_init_template_parses_to_the_defaults() -> None:
    assert parse_config(default_config_text()) == Config()


def test_settings_are_read() -> None:
    config = parse_config('[selection]\npolicy = "best"\nparents = 4\nlambda = 3\n\n[eval]\nstages = [5]\n'
                          'thresholds = []\n\n[model.prices]\n"m" = [1, 2.5]\n')
    assert (config.selection.policy, config.selection.parents, config.selection.lam) == ("best", 4, 3.0)
    assert isinstance(config.selection.lam, float)  # an int is fine where a float is expected
    assert config.eval.stages == [5] and config.model.prices == {"m": [1.0, 2.5]}
    assert config.model.name == Config().model.name  # untouched sections keep their defaults


@pytest.mark.parametrize("text, parts", [
    ('[selection]\nparents = "two"', ["my.toml", "selection.parents", "must be int", "str 'two'"]),
    ("[selection]\nparents = true", ["my.toml", "selection.parents", "must be int", "bool"]),
    ('[selection]\npolicyy = "dgm"', ["my.toml", "unknown key 'selection.policyy'", "did you mean 'policy'"]),
    ('[selection]\nzzz = 1', ["my.toml", "unknown key 'selection.zzz'", "known: policy, parents, lambda, alpha0"]),
    ('[selection]\npolicy = "hgm2"', ["my.toml", "selection.policy = 'hgm2'", "use one of: dgm, hgm, latest, best, random"]),
    ('[sandbox]\nbackend = "vm"', ["my.toml", "sandbox.backend", "auto, docker, process"]),
    ("selection = 3", ["my.toml", "[selection] must be a table"]),
    ("[eval]\nstages = 10", ["my.toml", "eval.stages must be a list, got int"]),
    ('[eval]\nstages = [10, "x"]', ["my.toml", "eval.stages[1] must be int"]),
    ("[eval]\nstages = [10, 40]\nthresholds = []", ["my.toml", "eval.thresholds needs 1 value"]),
    ("[eval]\nthresholds = [1.5]", ["my.toml", "eval.thresholds must lie in [0, 1]"]),
    ("schema = 7", ["my.toml", "schema = 7 is newer"]),
    ("[selection\npolicy = 1", ["my.toml", "not valid TOML"]),
    ('[model.prices]\n"m" = [1]', ["my.toml", "model.prices.m"]),
])
def test_bad_settings_name_the_file_key_and_choices(text: str, parts: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "my.toml")
    message = str(caught.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message


def test_non_utf8_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=re.escape("gitdgm.toml: not UTF-8")):
        load_config(b"\xff\xfe = 1")
