from patch import apply_patch

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 11))

DIFF = """\
--- a/notes.txt
+++ b/notes.txt
@@ -3,3 +3,3 @@
 line 3
-line 4
+line four
 line 5
"""


def test_single_hunk_in_place():
    new_text, offsets = apply_patch(ORIGINAL, DIFF)
    assert new_text == ORIGINAL.replace("line 4\n", "line four\n")
    assert offsets == [0]
