"""The model's tools: `bash` (a persistent shell) and `editor` (view and edit files); `toolbox` dispatches calls."""


class ToolError(Exception):
    """A failed tool call; its message goes back to the model, which can act on it."""
