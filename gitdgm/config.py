"""``gitdgm.toml``: the experiment's settings, validated against the dataclasses below.

Each section is a dataclass; its field types (``Literal`` for closed choices) are the schema, so an error can name
the file, the key, what was given and what is allowed, and a new setting is one new field.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from gitdgm.bundled import TEMPLATES
from gitdgm.errors import ConfigError

CONFIG_FILE = "gitdgm.toml"
SCHEMA = 1


@dataclass
class RoleConfig:
    """How one role calls the model: the agent (solving tasks, modifying itself) or the diagnosis.

    The settings reach the agent through the protocol's environment and the gateway applies ``max_tokens`` and
    ``request_timeout`` to every call of the role, so an agent that drops them still gets them."""

    #: the model's name for this role; empty means ``model.name``
    name: str = ""
    #: the most tokens one reply may have: added to calls that set none, lowered in calls that ask more; 0 = none
    max_tokens: int = 4096
    #: the model's context window in tokens (prompt and reply); 0 means what the server's model list says,
    #: else 128000. ``max_tokens`` is lowered to half of it at most.
    context_window: int = 0
    #: unset means the server's default
    temperature: float | None = None
    #: seconds one call may take, retries included; 0 means ``model.request_timeout``
    request_timeout: float = 0.0


@dataclass
class AgentRoleConfig(RoleConfig):
    #: "omit" sends none (the server's default); llama.cpp-based servers need "auto" to show the tools
    tool_choice: Literal["auto", "required", "none", "omit"] = "auto"
    #: how tool calls are written: the API's native ``tools`` field, or fenced blocks in the text for models
    #: without native tool calling; "auto" starts native and falls back to text when the model calls no tool
    tool_protocol: Literal["auto", "native", "text"] = "auto"


@dataclass
class ModelConfig:
    name: str = "gpt-4o-mini"
    #: an OpenAI-compatible base URL; empty means the openai client's default; ``scripted:PATH`` runs the
    #: scripted model from a script file (offline demo and tests)
    base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    #: the older name of ``[model.diagnosis] name``
    diagnosis_model: str = ""
    #: seconds one call may take, retries included (each role may set its own)
    request_timeout: float = 300.0
    #: the one retry policy: a transient failure (unreachable, 408, 429, 5xx) is tried again this many times,
    #: by the gateway only, within the call's ``request_timeout``
    retries: int = 3
    #: calls the upstream serves at once (others wait their turn); 0 = no limit, 1 for a single-slot server
    concurrency: int = 0
    #: USD per million tokens, input then output: {"gpt-4o-mini" = [0.15, 0.6]}
    prices: dict[str, list[float]] = field(default_factory=lambda: {"gpt-4o-mini": [0.15, 0.6], "gpt-4o": [2.5, 10.0]})
    agent: AgentRoleConfig = field(default_factory=AgentRoleConfig)
    diagnosis: RoleConfig = field(default_factory=RoleConfig)

    @overload
    def role(self, which: Literal["agent"]) -> AgentRoleConfig: ...
    @overload
    def role(self, which: Literal["diagnosis"]) -> RoleConfig: ...
    def role(self, which: Literal["agent", "diagnosis"]) -> RoleConfig:
        """The role's settings with the model-wide defaults filled in (its name, its request timeout)."""
        settings = self.agent if which == "agent" else self.diagnosis
        default_name = self.diagnosis_model or self.name if which == "diagnosis" else self.name
        return dataclasses.replace(
            settings,
            name=settings.name or default_name,
            request_timeout=settings.request_timeout or self.request_timeout,
        )

    def models(self) -> set[str]:
        """Every model name the roles call."""
        return {self.role("agent").name, self.role("diagnosis").name}


PolicyName = Literal["dgm", "hgm", "latest", "best", "random"]
POLICY_NAMES: tuple[str, ...] = typing.get_args(PolicyName)


@dataclass
class SelectionConfig:
    #: dgm (the paper), hgm (the Huxley-Gödel Machine), latest (no open-ended exploration), best, random
    policy: PolicyName = "dgm"
    #: children per generation (the generational policies)
    parents: int = 2
    #: sigmoid steepness λ and midpoint α0 of the dgm policy
    lam: float = 10.0
    alpha0: float = 0.5
    #: hgm: expand iff evaluations^widening >= agents - 1 + expansions in flight (HGM's α)
    widening: float = 0.6
    #: hgm: scale the Thompson posteriors up as the evaluation budget runs out (HGM's cool-down, β = 1)
    cooldown: bool = False
    #: hgm: the best-belief agent has at least this many evaluations (fewer if no agent has that many)
    best_min_evals: int = 10


@dataclass
class SearchConfig:
    #: jobs run at once (expansions and task evaluations); 0 means eval.workers
    workers: int = 0
    #: task evaluations a ``gitdgm run`` may spend; 0 = no limit (the generations or another budget end it)
    max_evals: int = 0
    #: task evaluations one ``gitdgm step`` spends under hgm (its CI slice)
    step_evals: int = 20


@dataclass
class EvalConfig:
    suite: str = "builtin"
    #: tasks per stage; a later stage runs only while the pooled resolve rate clears its threshold
    stages: list[int] = field(default_factory=lambda: [10, 50])  # the DGM's 10 + 50
    thresholds: list[float] = field(default_factory=lambda: [0.4])
    workers: int = 2
    #: 0 means each task's own limit
    agent_time_limit: int = 0
    #: an attempt whose model calls failed while the model answers otherwise is an ``error`` this many times,
    #: then ``unresolved``: an agent must not escape a score by making its own calls fail
    error_retries: int = 3


@dataclass
class SelfModConfig:
    time_limit: int = 1800
    max_turns: int = 80
    #: share of children made by transplanting an admitted improvement into another lineage
    transplant_share: float = 0.0
    diagnosis_attempts: int = 3
    #: who implements a change: the parent's own code (the DGM), or always the seed agent's code on the parent's
    #: tree (the paper's "without self-improvement" ablation)
    meta_agent: Literal["self", "seed"] = "self"


@dataclass
class BudgetConfig:
    #: 0 means no limit
    max_usd: float = 0.0
    max_tokens: int = 0


@dataclass
class SandboxConfig:
    backend: Literal["auto", "docker", "process"] = "auto"
    image: str = "gitdgm-sandbox:latest"
    cpus: float = 1.0
    memory: str = "2g"
    pids: int = 512
    #: caps on the repository an agent leaves: past them its attempt ends unresolved and nothing is copied
    max_repo_mb: int = 256
    max_repo_files: int = 50_000


@dataclass
class SyncConfig:
    #: empty means "origin" when the archive has one
    remote: str = ""


@dataclass
class Config:
    schema: int = SCHEMA
    model: ModelConfig = field(default_factory=ModelConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    selfmod: SelfModConfig = field(default_factory=SelfModConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)


_TOML_NAMES = {"lam": "lambda"}  # TOML keys that are Python keywords


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    config = _build(Config, raw, source, "")
    _check_values(config, source)
    return config


def load_config(data: bytes | None, source: str = CONFIG_FILE) -> Config:
    """The archive's config; an archive without one runs on the defaults."""
    if data is None:
        return Config()
    try:
        return parse_config(data.decode("utf-8"), source)
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None


def _build(cls: type, raw: dict[str, Any], source: str, section: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {_TOML_NAMES.get(f.name, f.name): f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = f"{section}.{key}" if section else key
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(fields)})"
            raise ConfigError(f"{source}: unknown key {where!r}{hint}")
        f = fields[key]
        values[f.name] = _convert(hints[f.name], value, source, where)
    return cls(**values)


def _convert(kind: Any, value: Any, source: str, where: str) -> Any:
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{where}] must be a table")
        return _build(kind, value, source, where)
    origin = typing.get_origin(kind)
    if origin is Literal:
        allowed = typing.get_args(kind)
        if value not in allowed:
            raise ConfigError(f"{source}: {where} = {value!r} is not allowed (use one of: {', '.join(allowed)})")
        return value
    if origin is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {where} must be a list, got {type(value).__name__}")
        return [_convert(item, v, source, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(kind)
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {where} must be a table")
        return {k: _convert(item, v, source, f"{where}.{k}") for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):  # ``X | None``: TOML has no null, so None is only a default
        (kind,) = [k for k in typing.get_args(kind) if k is not type(None)]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{source}: {where} must be {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


def _check_values(config: Config, source: str) -> None:
    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(f"{source}: {message}")

    need(config.schema <= SCHEMA, f"schema = {config.schema} is newer than this gitdgm (reads {SCHEMA}); upgrade")
    need(config.selection.parents >= 1, "selection.parents must be at least 1")
    need(0 < config.selection.widening <= 1, "selection.widening must lie in (0, 1]")
    need(config.selection.best_min_evals >= 1, "selection.best_min_evals must be at least 1")
    search = config.search
    need(
        search.workers >= 0 and search.max_evals >= 0, "search.workers and search.max_evals must be >= 0 (0 = default)"
    )
    need(search.step_evals >= 1, "search.step_evals must be at least 1")
    need(bool(config.eval.stages) and all(n > 0 for n in config.eval.stages), "eval.stages must be positive counts")
    need(
        len(config.eval.thresholds) == len(config.eval.stages) - 1,
        f"eval.thresholds needs {len(config.eval.stages) - 1} value(s), one per stage after the first",
    )
    need(all(0 <= t <= 1 for t in config.eval.thresholds), "eval.thresholds must lie in [0, 1]")
    need(config.eval.workers >= 1, "eval.workers must be at least 1")
    need(config.eval.error_retries >= 1, "eval.error_retries must be at least 1")
    need(0 <= config.selfmod.transplant_share <= 1, "selfmod.transplant_share must lie in [0, 1]")
    need(config.budget.max_usd >= 0 and config.budget.max_tokens >= 0, "budget limits must be >= 0 (0 = none)")
    need(
        config.sandbox.max_repo_mb > 0 and config.sandbox.max_repo_files > 0,
        "sandbox.max_repo_mb and sandbox.max_repo_files must be positive",
    )
    model = config.model
    need(model.retries >= 0 and model.concurrency >= 0, "model.retries and model.concurrency must be >= 0")
    need(model.request_timeout > 0, "model.request_timeout must be positive")
    need(
        not (model.diagnosis_model and model.diagnosis.name),
        "model.diagnosis_model and [model.diagnosis] name are both set: keep the second",
    )
    for which in ("agent", "diagnosis"):
        role = getattr(model, which)
        need(
            role.max_tokens >= 0 and role.context_window >= 0 and role.request_timeout >= 0,
            f"model.{which}: max_tokens, context_window and request_timeout must be >= 0 (0 = default)",
        )
        need(
            not role.context_window or role.context_window >= 512,
            f"model.{which}.context_window = {role.context_window} is too small (gitdgm needs 512 tokens or more)",
        )
        need(role.temperature is None or 0 <= role.temperature <= 2, f"model.{which}.temperature must lie in [0, 2]")
    for name, price in model.prices.items():
        need(len(price) == 2, f"model.prices.{name} must be [usd_per_mtok_in, usd_per_mtok_out]")
    why = unpriced_budget(config)
    need(why is None, why or "")


def unpriced_budget(config: Config) -> str | None:
    """Why the dollar budget could never be reached (a model the roles call has no price), or None."""
    unpriced = sorted(config.model.models() - set(config.model.prices))
    if not config.budget.max_usd or not unpriced:
        return None
    return (
        f"budget.max_usd = {config.budget.max_usd} but model {', '.join(map(repr, unpriced))} has no price, so"
        f' the budget could never be reached: add [model.prices] "{unpriced[0]}" = [usd_per_mtok_in,'
        " usd_per_mtok_out], or set budget.max_tokens instead"
    )


def default_config_text() -> str:
    """The gitdgm.toml that `gitdgm init` writes: every setting, commented."""
    return (TEMPLATES / "gitdgm.toml").read_text()
