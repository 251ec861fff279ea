from renamer.plan import plan_renames


def test_plan(tmp_path):
    (tmp_path / "01-a.txt").write_text("")
    (tmp_path / "b.txt").write_text("")
    assert plan_renames(str(tmp_path), r"(\d+)-(.*)", r"\2-\1") == [("01-a.txt", "a.txt-01")]
