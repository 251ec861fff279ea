import os
import subprocess
import sys

ARGS = ["--pattern", r"(\d+)-(.*)\.jpg", "--replace", r"\2-\1.jpg"]


def run(directory, *extra):
    return subprocess.run([sys.executable, "-m", "renamer", str(directory), *ARGS, *extra],
                          capture_output=True, text=True, cwd=os.getcwd(), timeout=20)


def make(tmp_path, *names):
    for n in names:
        (tmp_path / n).write_text(n)


def test_dry_run_changes_nothing(tmp_path):
    make(tmp_path, "01-beach.jpg", "02-hill.jpg", "notes.txt")
    r = run(tmp_path, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["01-beach.jpg -> beach-01.jpg", "02-hill.jpg -> hill-02.jpg"]
    assert sorted(os.listdir(tmp_path)) == ["01-beach.jpg", "02-hill.jpg", "notes.txt"]


def test_real_run_same_output(tmp_path):
    make(tmp_path, "01-beach.jpg")
    r = run(tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines() == ["01-beach.jpg -> beach-01.jpg"]
    assert os.listdir(tmp_path) == ["beach-01.jpg"]


def test_existing_target_skipped(tmp_path):
    make(tmp_path, "01-beach.jpg", "beach-01.jpg", "02-hill.jpg")
    for extra in (["--dry-run"], []):
        r = run(tmp_path, *extra)
        assert r.returncode == 1
        assert "skip: 01-beach.jpg (beach-01.jpg exists)" in r.stderr
    assert (tmp_path / "beach-01.jpg").read_text() == "beach-01.jpg"
    assert (tmp_path / "01-beach.jpg").exists() and (tmp_path / "hill-02.jpg").exists()
