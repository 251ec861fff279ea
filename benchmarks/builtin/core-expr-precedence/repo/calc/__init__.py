"""A small arithmetic expression evaluator."""

from calc.evaluate import evaluate
from calc.tokens import CalcError

__all__ = ["CalcError", "evaluate"]
