import pytest

from ls import listing
from sizes import human_size


@pytest.mark.parametrize("n,text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (1048575, "1.0 MiB"),
    (1048576, "1.0 MiB"), (1073741823, "1.0 GiB"), (5 * 1024 ** 4, "5.0 TiB"), (3 * 1024 ** 5, "3.0 PiB"),
    (2048 * 1024 ** 5, "2048.0 PiB"),
])
def test_human_size(n, text):
    assert human_size(n) == text


def test_listing(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 2048)
    (tmp_path / "b.txt").write_bytes(b"hi")
    assert [r.split() for r in listing(str(tmp_path))] == [["2.0", "KiB", "a.bin"], ["2", "B", "b.txt"]]
