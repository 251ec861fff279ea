"""Build the app's settings from a .env file plus the process environment."""
import os

from dotenv import load_env


def settings(env_file: str) -> dict:
    with open(env_file, encoding="utf-8") as f:
        values = load_env(f.read())
    values.update({k: v for k, v in os.environ.items() if k in values})
    return values
