"""Merging of busy time blocks (start, end) with start < end."""


def merge_intervals(blocks: list) -> list:
    merged = []
    for start, end in blocks:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
