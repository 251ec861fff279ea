"""The seed coding agent of gitdgm: an LLM with a bash tool and a file editor, in a loop (see README.md)."""
