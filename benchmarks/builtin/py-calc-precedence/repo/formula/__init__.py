"""Spreadsheet formulas: evaluate("a * (b + 2)", {"a": 1, "b": 2})."""
from formula.errors import FormulaError
from formula.parser import evaluate

__all__ = ["FormulaError", "evaluate"]
