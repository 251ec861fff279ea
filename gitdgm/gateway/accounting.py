"""Token, cost and budget bookkeeping for the gateway, shared by all runs of one gateway.

Counts come from the upstream's own ``usage`` field, so that the totals gitdgm records match the
provider's bill; only a reply that carries none is counted by estimate (tokens.py), and its tokens are
also added to ``estimated_tokens`` so that records say how much of a total is estimated. All methods are
thread-safe: the gateway serves many sandboxes at once. Budgets are enforced with reservations (see Budget).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gitdgm.errors import BudgetExceeded

log = logging.getLogger(__name__)

Prices = Mapping[str, tuple[float, float]]
"""``{model: (usd per million input tokens, usd per million output tokens)}``."""


@dataclass
class Usage:
    """What one run (or a group of runs) consumed.

    ``requests`` counts answered completions; ``errors`` counts requests that ended in an
    error reply (upstream failure after retries, budget refusal, malformed request);
    ``model_failures`` counts those of them that were not the agent's doing (DESIGN §12): the
    model unreachable or failing after retries, gitdgm's key refused, the budget spent.
    ``estimated_tokens`` is the part of the tokens counted by estimate (the server sent no usage).
    """

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    errors: int = 0
    model_failures: int = 0
    estimated_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))


@dataclass(frozen=True)
class Budget:
    """Limits shared by every run of a gateway; ``None`` means unlimited.

    Before a completion is forwarded, its worst case is reserved: its ``max_tokens`` or
    ``max_completion_tokens`` (times ``n``), or ``completion_reservation`` when it sets neither, plus its
    prompt estimated from the body's size (a token per 3 bytes). It is refused when what is used, what calls in
    flight have reserved and its own reservation would pass a limit; a call that finds nothing else in flight may
    start with what is left as its reservation, so a budget smaller than one call's worst case still
    makes progress. When a call settles, its reservation is released and its real usage counted. The
    total can therefore exceed a limit by at most what calls in flight use beyond their reservations.
    """

    max_tokens: int | None = None
    max_usd: float | None = None
    completion_reservation: int = 4096


@dataclass(frozen=True)
class Reservation:
    """What one call in flight holds of the budget until it settles."""

    tokens: int
    usd: float


@dataclass
class _Run:
    agent: str
    task: str
    usage: Usage = dataclasses.field(default_factory=Usage)


class Ledger:
    """Usage per run, per agent, per task and in total, priced and checked against a budget."""

    def __init__(self, prices: Prices | None = None, budget: Budget | None = None) -> None:
        self._prices = dict(prices or {})
        self.budget = budget or Budget()
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._total = Usage()
        self._reserved = Reservation(0, 0.0)
        self._in_flight = 0
        self._warned: set[str] = set()

    def open(self, run_id: str, agent: str, task: str) -> None:
        with self._lock:
            self._runs[run_id] = _Run(agent, task)

    def usage(self, run_id: str) -> Usage:
        with self._lock:
            return dataclasses.replace(self._runs[run_id].usage)

    def cost(self, models: Sequence[str], prompt_tokens: int, completion_tokens: int) -> float:
        """Price of one answer under the first of ``models`` (asked, answered) with a price.

        A model with no price costs 0 and is warned about once.
        """
        price = next((self._prices[m] for m in models if m in self._prices), None)
        if price is None:
            model = models[0] if models else "?"
            self._warn_once(f"price:{model}", "gitdgm gateway: no price for model %r; its cost is counted as 0", model)
            return 0.0
        return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000

    def priced(self, models: Sequence[str]) -> bool:
        """Whether one of ``models`` has a price: a dollar budget cannot count calls to a model that has none."""
        return any(m in self._prices for m in models)

    def reserve(self, models: Sequence[str], prompt_tokens: int, completion_tokens: int) -> Reservation:
        """Hold a call's worst case (see Budget); BudgetExceeded says why it does not fit."""
        worst = Reservation(prompt_tokens + completion_tokens, self.cost(models, prompt_tokens, completion_tokens))
        with self._lock:
            why = self._spent(self._total)
            if why is None and self._in_flight == 0:  # alone: whatever is left will do
                worst = self._capped(worst)
            elif why is None:
                why = self._overdraft(worst)
            if why is not None:
                raise BudgetExceeded(f"gitdgm: budget exhausted ({why})")
            self._reserved = Reservation(self._reserved.tokens + worst.tokens, self._reserved.usd + worst.usd)
            self._in_flight += 1
        return worst

    def _capped(self, worst: Reservation) -> Reservation:
        budget, used = self.budget, self._total
        tokens, usd = worst.tokens, worst.usd
        if budget.max_tokens is not None:
            tokens = min(tokens, budget.max_tokens - used.total_tokens)
        if budget.max_usd is not None:
            usd = min(usd, budget.max_usd - used.cost_usd)
        return Reservation(tokens, usd)

    def _overdraft(self, worst: Reservation) -> str | None:
        budget, used, held = self.budget, self._total, self._reserved
        if budget.max_tokens is not None and used.total_tokens + held.tokens + worst.tokens > budget.max_tokens:
            return (
                f"{used.total_tokens} tokens used and {held.tokens} reserved by calls in flight"
                f" of max_tokens = {budget.max_tokens}; this call may need {worst.tokens}"
            )
        if budget.max_usd is not None and used.cost_usd + held.usd + worst.usd > budget.max_usd:
            return (
                f"${used.cost_usd:.4f} spent and ${held.usd:.4f} reserved by calls in flight"
                f" of max_usd = {budget.max_usd}; this call may cost ${worst.usd:.4f}"
            )
        return None

    def record(
        self,
        run_id: str,
        models: Sequence[str],
        usage: Mapping[str, object],
        held: Reservation | None = None,
        *,
        estimated: bool = False,
        failed: bool = False,
    ) -> None:
        """Add one answered completion with its ``usage`` (``estimated``: gitdgm's estimate, the server sent none),
        releasing what it ``held``; ``failed``: the answer broke off upstream, a model failure that still cost."""
        if estimated:
            self._warn_once(
                f"usage:{models[0] if models else '?'}",
                "gitdgm gateway: the upstream's replies for model"
                " %r carry no usage; their tokens are counted by estimate",
                models[0] if models else "?",
            )
        prompt = _int(usage.get("prompt_tokens"))
        completion = _int(usage.get("completion_tokens"))
        delta = Usage(
            1,
            prompt,
            completion,
            self.cost(models, prompt, completion),
            errors=int(failed),
            model_failures=int(failed),
            estimated_tokens=(prompt + completion) * estimated,
        )
        self._add(run_id, delta, held)

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        with self._lock:
            first = key not in self._warned
            self._warned.add(key)
        if first:
            log.warning(message, *args)

    def record_error(self, run_id: str, held: Reservation | None = None, *, model_failure: bool = False) -> None:
        self._add(run_id, Usage(errors=1, model_failures=int(model_failure)), held)

    def _add(self, run_id: str, delta: Usage, held: Reservation | None) -> None:
        with self._lock:  # count and release at once, so that no check sees the call in neither
            run = self._runs[run_id]
            run.usage += delta
            self._total += delta
            if held is not None:
                self._reserved = Reservation(self._reserved.tokens - held.tokens, self._reserved.usd - held.usd)
                self._in_flight -= 1

    @property
    def total(self) -> Usage:
        with self._lock:
            return dataclasses.replace(self._total)

    def totals_by(self, key: str) -> dict[str, Usage]:
        """Usage summed per ``"agent"`` or per ``"task"`` over every run opened so far."""
        out: dict[str, Usage] = {}
        with self._lock:
            for run in self._runs.values():
                name = getattr(run, key)
                out[name] = out.get(name, Usage()) + run.usage
        return out

    def exhausted(self) -> str | None:
        """Why the budget is spent (a message), or None while there is some left."""
        with self._lock:
            return self._spent(self._total)

    def _spent(self, total: Usage) -> str | None:
        budget = self.budget
        if budget.max_tokens is not None and total.total_tokens >= budget.max_tokens:
            return f"{total.total_tokens} tokens used of max_tokens = {budget.max_tokens}"
        if budget.max_usd is not None and total.cost_usd >= budget.max_usd:
            return f"${total.cost_usd:.4f} spent of max_usd = {budget.max_usd}"
        return None


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
