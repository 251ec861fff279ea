"""How many tokens the diagnosis prompt may use, and how they are shared among its parts.

A local server may give 2,048 tokens of context where OpenAI gives 128,000, so the prompt is measured in tokens,
never characters, and with one estimator (``gitdgm.gateway.tokens.estimate_tokens``, 3 bytes a token, on the
high side). The window holds the prompt, the reply (``max_tokens``) and a margin; the fixed frame of the prompt
(instructions, the agent's summary, the evaluation, the focus) is measured first, and what is left goes to the
evidence in two passes:

1. In order of relevance (``RELEVANCE``) each part gets its useful minimum (``FLOORS``), or what is left when
   that is at least half of it; a part that cannot get that much is left out whole, so a tiny window shows the
   few things that matter most rather than slivers of everything.
2. The rest is shared by weight (``WEIGHTS``), each part up to its need and its cap (``CAPS``, the character caps
   the prompt was first tuned with, in tokens): a large window shows what the prompt showed when it was capped in
   characters (OpenAI-sized windows lose nothing), and a 128k window does not make a 100k-token prompt.

Estimates add up safely: the estimate of a concatenation is never more than the sum of its pieces' estimates
(each rounds up), so pieces measured one by one and kept within their grants keep the whole within the budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gitdgm.errors import GitdgmError
from gitdgm.gateway.tokens import BYTES_PER_TOKEN, DEFAULT_CONTEXT_WINDOW, estimate_tokens

#: the margin left free in the window: 5 % for what the estimate cannot see (a tokenizer that is worse on some
#: text, the JSON the request wraps the prompt in) and 64 tokens for the chat template around the message
MARGIN_SHARE = 0.05
MARGIN_TOKENS = 64
#: the reply's room when no ``max_tokens`` is sent (the server's default applies): the roles' default cap
REPLY_RESERVE = 4096
#: the caps the prompt was tuned with, in characters (gitdgm 0.1): at 3 bytes a token they are the caps in tokens
CAP_CHARS = {
    "code": 60_000,
    "log": 24_000,
    "output": 4_000,
    "problem": 6_000,
    "patch": 8_000,
    "tests": 8_000,
    "results": 6_000,
}
CAPS = {part: chars // BYTES_PER_TOKEN for part, chars in CAP_CHARS.items()}
#: most relevant first, for every entry kind (each shows only its own parts, see ``prompt.PARTS``): the task says
#: what was asked and is short; the hidden tests' results say how the attempt failed; the log shows how the agent
#: worked, the main evidence of what to improve; the code is where the improvement goes (the frame's file map
#: names the files even when none fits); the patch, the hidden tests and the agent's output (mostly the end of
#: what the log holds) add detail
RELEVANCE = ("problem", "results", "log", "code", "patch", "tests", "output")
#: below these a part tells the model little: the head and tail of a log need a few hundred tokens, code a small
#: file or two (a part shorter than its floor gets all it needs)
FLOORS = {"problem": 100, "results": 150, "log": 200, "code": 300, "patch": 120, "tests": 150, "output": 100}
#: how the surplus is shared: the log and the code weigh most (the evidence and the place of the change), then
#: the results; the caps end a part's growth where the character-capped prompt stopped
WEIGHTS = {"problem": 1, "results": 2, "log": 4, "code": 4, "patch": 1, "tests": 1, "output": 1}
SETTING = "[model.diagnosis] context_window"


class DiagnosisFailed(GitdgmError):
    """The FM did not produce a usable improvement proposal (or could not be asked for one)."""


@dataclass(frozen=True)
class PromptBudget:
    """The context window the diagnosis must fit, in tokens, and the reply's cap sent with it (0: none sent)."""

    window: int = DEFAULT_CONTEXT_WINDOW
    max_tokens: int = 0

    @property
    def reply(self) -> int:
        """The window's share kept for the reply: its cap, else the usual cap (never more than half the window)."""
        return self.max_tokens or min(REPLY_RESERVE, self.window // 2)

    @property
    def margin(self) -> int:
        return math.ceil(self.window * MARGIN_SHARE) + MARGIN_TOKENS

    @property
    def tokens(self) -> int:
        """What the prompt may use: the window less the reply and the margin."""
        return max(0, self.window - self.reply - self.margin)

    def shrunk(self, window: int) -> PromptBudget:
        """This budget for a smaller window (one a server stated): the reply's cap at most half of it."""
        return PromptBudget(window, min(self.max_tokens, window // 2))

    def minimum_window(self, prompt_tokens: int) -> int:
        """The smallest window whose budget holds ``prompt_tokens``, with this budget's reply cap (at most half)."""
        low, high = 1, max(self.window, 64) * 2 + 2 * prompt_tokens + 4 * (self.max_tokens or REPLY_RESERVE)
        while low < high:  # the budget grows with the window
            middle = (low + high) // 2
            if PromptBudget(middle, min(self.max_tokens, middle // 2)).tokens >= prompt_tokens:
                high = middle
            else:
                low = middle + 1
        return low

    def too_small(self, frame_tokens: int) -> DiagnosisFailed:
        """The one-line failure for a window that cannot hold the prompt's fixed part, with the least that can."""
        reply = f"max_tokens {self.max_tokens}" if self.max_tokens else f"{self.reply} kept for it"
        return DiagnosisFailed(
            f"a context window of {self.window} tokens is too small to diagnose this agent: the prompt's "
            f"instructions, the agent's summary and its evaluation alone need {frame_tokens} tokens, and "
            f"{self.tokens} are left beside the reply ({reply}) and a margin; the model cannot be diagnosed with "
            f"less than {self.minimum_window(frame_tokens)} tokens (raise {SETTING} if the model has them, or "
            f"lower [model.diagnosis] max_tokens)"
        )


def allot(needs: dict[str, int], available: int) -> dict[str, int]:
    """Tokens for each part of ``needs`` (its whole size, capped) within ``available``; a part missing from the
    result is left out. Floors first by relevance, then the rest by weight (see the module's docstring)."""
    grants: dict[str, int] = {}
    for part in sorted(needs, key=RELEVANCE.index):
        floor = min(FLOORS[part], needs[part])
        if needs[part] > 0 and min(floor, available) * 2 >= floor:
            grants[part] = min(floor, available)
            available -= grants[part]
    while available > 0:
        hungry = {part: WEIGHTS[part] for part, granted in grants.items() if granted < needs[part]}
        total = sum(hungry.values())
        given = 0
        for part, weight in hungry.items():
            extra = min(needs[part] - grants[part], available * weight // total)
            grants[part] += extra
            given += extra
        if not given:  # less than a token each is left
            break
        available -= given
    return grants


def clip(text: str, tokens: int) -> tuple[str, int]:
    """``text`` within ``tokens`` (estimated): its head and tail, cut at line ends, with the chars elided marked;
    and how many chars were elided. Characters of more than one byte make the first cut too long: it is cut again."""
    if estimate_tokens(text) <= tokens:
        return text, 0
    limit = tokens * BYTES_PER_TOKEN - 48  # the marker's room
    while limit > 0:
        clipped, elided = _clip_chars(text, limit)
        over = estimate_tokens(clipped) - tokens
        if over <= 0:
            return clipped, elided
        limit -= over * BYTES_PER_TOKEN
    return "", len(text)


def _clip_chars(text: str, limit: int) -> tuple[str, int]:
    half = limit // 2
    head, tail = text[:half], text[len(text) - half :]
    head = head[: head.rfind("\n") + 1] if head.rfind("\n") > half // 2 else head
    tail = tail[tail.find("\n") + 1 :] if -1 < tail.find("\n") < half // 2 else tail
    elided = len(text) - len(head) - len(tail)
    return f"{head}\n[... {elided:,} chars elided by gitdgm ...]\n{tail}", elided
