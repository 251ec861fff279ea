import pytest

from backup import files_to_backup
from ignore import IgnoreRules

RULES = """# build output
/build
*.log
!keep.log
docs/**/*.tmp
cache/
"""


@pytest.mark.parametrize("path,is_dir,ignored", [
    ("build", True, True), ("build/out.o", False, True), ("src/build/util.py", False, False),
    ("src/build", True, False),
    ("a.log", False, True), ("deep/x/y.log", False, True), ("keep.log", False, False),
    ("sub/keep.log", False, False),
    ("docs/a.tmp", False, True), ("docs/x/y/a.tmp", False, True), ("a.tmp", False, False),
    ("other/docs/a.tmp", False, False),
    ("cache", False, False), ("cache", True, True), ("x/cache", True, True), ("x/cache/f.txt", False, True),
    ("src/main.py", False, False),
])
def test_rules(path, is_dir, ignored):
    assert IgnoreRules(RULES).is_ignored(path, is_dir=is_dir) is ignored


def test_star_does_not_cross_slash():
    rules = IgnoreRules("src/*.py\nd?r/\n")
    assert rules.is_ignored("src/a.py")
    assert not rules.is_ignored("src/pkg/a.py")
    assert rules.is_ignored("dir/x", False) and not rules.is_ignored("dirr/x", False)


def test_backup_walk(tmp_path):
    files = ["build/out.o", "src/build/util.py", "a.log", "keep.log", "docs/a.tmp", "docs/guide.md",
             "cache", "x/cache/blob", "src/main.py"]
    for f in files:
        p = tmp_path / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    (tmp_path / ".backupignore").write_text(RULES)
    assert files_to_backup(str(tmp_path)) == [
        ".backupignore", "cache", "docs/guide.md", "keep.log", "src/build/util.py", "src/main.py"]
