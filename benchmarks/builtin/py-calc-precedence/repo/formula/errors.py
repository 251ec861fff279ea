class FormulaError(ValueError):
    """A formula that cannot be parsed or evaluated."""
