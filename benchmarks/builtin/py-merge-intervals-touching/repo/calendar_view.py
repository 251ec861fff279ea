"""Free time between busy blocks within a working day."""
from intervals import merge_intervals


def free_slots(busy: list, day_start: int = 9, day_end: int = 17) -> list:
    slots, cursor = [], day_start
    for start, end in merge_intervals(busy):
        if start > cursor:
            slots.append((cursor, min(start, day_end)))
        cursor = max(cursor, end)
    if cursor < day_end:
        slots.append((cursor, day_end))
    return slots
