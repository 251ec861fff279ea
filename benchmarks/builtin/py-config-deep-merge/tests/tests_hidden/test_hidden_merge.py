import copy

import settings
from merge import merge
from settings import DEFAULTS, load_config

PRISTINE = copy.deepcopy(DEFAULTS)


def test_nested_merge_keeps_defaults():
    cfg = load_config("[server]\nport = 9000\n[server.tls]\nenabled = true\n")
    assert cfg["server"] == {"host": "0.0.0.0", "port": 9000, "tls": {"enabled": True, "cert": None}}
    assert cfg["log"] == {"level": "info", "targets": ["stderr"]}


def test_defaults_untouched_between_loads():
    load_config("[server]\nport = 1\n[log]\nlevel = 'debug'\n")
    cfg = load_config("workers = 2")
    assert cfg["server"]["port"] == 8080 and cfg["log"]["level"] == "info"
    assert settings.DEFAULTS == PRISTINE


def test_result_does_not_alias_defaults():
    cfg = load_config("")
    cfg["log"]["targets"].append("file")
    cfg["server"]["tls"]["enabled"] = True
    assert settings.DEFAULTS == PRISTINE


def test_lists_replaced_and_override_untouched():
    override = {"log": {"targets": ["file"]}, "new": {"x": 1}}
    snapshot = copy.deepcopy(override)
    out = merge({"log": {"targets": ["stderr"], "level": "info"}}, override)
    assert out == {"log": {"targets": ["file"], "level": "info"}, "new": {"x": 1}}
    out["new"]["x"] = 2
    assert override == snapshot


def test_dict_replaces_scalar_and_back():
    assert merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert merge({"a": {"b": 2}}, {"a": 3}) == {"a": 3}
