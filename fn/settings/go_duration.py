"""Go's time.ParseDuration, which Pipelock applies to tls_interception.cert_ttl.

Transcribed from Go's src/time/format.go (ParseDuration, leadingInt,
leadingFraction, unitMap), byte for byte as Go reads the string, so the
values refused here are exactly the ones Pipelock refuses: bad syntax and
overflow (`time: invalid duration`), and, in Pipelock's Validate, a result
that is not positive (`0s`, `0.5ns`).
"""

_UNITS = {
    b"ns": 1, b"us": 1_000, "\u00b5s".encode(): 1_000, "\u03bcs".encode(): 1_000,
    b"ms": 1_000_000, b"s": 1_000_000_000, b"m": 60_000_000_000, b"h": 3_600_000_000_000,
}
_BIG = 1 << 63


def parse(text):
    """The duration in nanoseconds, or ValueError with Go's message."""
    s = text.encode("utf-8")
    invalid = ValueError(f"time: invalid duration {text!r}")
    total, negative = 0, False
    if s[:1] in (b"-", b"+"):
        negative, s = s[:1] == b"-", s[1:]
    if s == b"0":
        return 0
    if not s:
        raise invalid
    while s:
        if not (s[:1] == b"." or s[:1].isdigit()):
            raise invalid
        before = len(s)
        value, s = _leading_int(s, invalid)
        pre = before != len(s)
        fraction, scale, post = 0, 1.0, False
        if s[:1] == b".":
            s = s[1:]
            before = len(s)
            fraction, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise invalid
        i = 0
        while i < len(s) and not (s[i:i + 1] == b"." or s[i:i + 1].isdigit()):
            i += 1
        if i == 0:
            raise ValueError(f"time: missing unit in duration {text!r}")
        unit_text, s = s[:i], s[i:]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise ValueError(f"time: unknown unit {unit_text.decode('utf-8', 'replace')!r} in duration {text!r}")
        if value > _BIG // unit:
            raise invalid
        value *= unit
        if fraction > 0:
            # Go: v += uint64(float64(f) * (float64(unit) / scale)), in float64.
            value += int(float(fraction) * (float(unit) / scale))
            if value > _BIG:
                raise invalid
        total += value
        if total > _BIG:
            raise invalid
    if negative:
        return -total
    if total > _BIG - 1:
        raise invalid
    return total


def _leading_int(s, invalid):
    x, i = 0, 0
    while i < len(s) and s[i:i + 1].isdigit():
        if x > _BIG // 10:
            raise invalid
        x = x * 10 + s[i] - 0x30
        if x > _BIG:
            raise invalid
        i += 1
    return x, s[i:]


def _leading_fraction(s):
    """Digits after the point; past uint64 precision they are read and dropped."""
    x, scale, i, overflow = 0, 1.0, 0, False
    while i < len(s) and s[i:i + 1].isdigit():
        if not overflow:
            if x > (_BIG - 1) // 10:
                overflow = True
            else:
                y = x * 10 + s[i] - 0x30
                if y > _BIG:
                    overflow = True
                else:
                    x, scale = y, scale * 10
        i += 1
    return x, scale, s[i:]
