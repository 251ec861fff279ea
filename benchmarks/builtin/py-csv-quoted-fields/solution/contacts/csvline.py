"""A minimal CSV row splitter (no csv module: this also runs on MicroPython)."""


def split_row(line: str, line_no: int = 1) -> list:
    """Split one CSV line into fields: quoted fields may hold commas and doubled quotes."""
    line = line.rstrip("\r\n")
    fields, field, i, quoted = [], [], 0, False
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"' and line[i + 1:i + 2] == '"':
                field.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                field.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            fields.append("".join(field))
            field = []
        else:
            field.append(ch)
        i += 1
    if quoted:
        raise ValueError(f"line {line_no}: unterminated quoted field")
    fields.append("".join(field))
    return fields
