"""A checker of Prometheus's text exposition format (version 0.0.4), with the
naming rules `promtool check metrics` applies, for tests to run on /metrics
without installing Prometheus (Debian's package is ~100 MB with a daemon).

check(page) returns a list of problems (empty: the page is fine) and
parse(page) the samples as {(name, ((label, value), ...)): value}.

Rules, from the format's documentation:
- lines end with "\\n"; "# HELP name text" and "# TYPE name type" describe a
  metric family; other "#" lines are comments; empty lines are ignored;
- a sample is name, optional {label="value",...}, a float (or NaN, +Inf,
  -Inf) and an optional integer timestamp; names match
  [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and not
  __*; label values escape only \\\\, \\" and \\n;
- one HELP and one TYPE per family, before its samples; a family's lines
  are together; a series (name and label set) appears once;
- a histogram's series are name_bucket (with le, cumulative, ending at
  le="+Inf"), name_sum and name_count (equal to the +Inf bucket);
- and promtool's lint: counters end in _total, every family has HELP,
  names are snake_case.
"""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _value(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(f"'{text}' is not a number")
    return float(text)


def _sample(line):
    """(name, labels tuple, value) of a sample line; raises ValueError."""
    m = NAME.match(line)
    if not m:
        raise ValueError("no metric name")
    name, i = m.group(0), m.end()
    labels = []
    if i < len(line) and line[i] == "{":
        i += 1
        while True:
            if line[i] == "}":
                i += 1
                break
            m = LABEL.match(line, i)
            if not m:
                raise ValueError(f"bad label name at {i}")
            label = m.group(0)
            if label.startswith("__"):
                raise ValueError(f"label {label} is reserved")
            i = m.end()
            if line[i:i + 2] != '="':
                raise ValueError(f"label {label} has no =\"")
            i += 2
            value = []
            while line[i] != '"':
                if line[i] == "\\":
                    nxt = line[i + 1]
                    if nxt not in '\\"n':
                        raise ValueError(f"bad escape \\{nxt} in label {label}")
                    value.append("\n" if nxt == "n" else nxt)
                    i += 2
                else:
                    value.append(line[i])
                    i += 1
            i += 1
            labels.append((label, "".join(value)))
            if line[i] == ",":
                i += 1
            elif line[i] != "}":
                raise ValueError(f"expected , or }} after label {label}")
    if [k for k, _ in labels] != list(dict.fromkeys(k for k, _ in labels)):
        raise ValueError("a label appears twice")
    if i >= len(line) or line[i] != " ":
        raise ValueError("no space before the value")
    rest = line[i + 1:].split(" ")
    if len(rest) not in (1, 2):
        raise ValueError("expected a value and at most a timestamp")
    value = _value(rest[0])
    if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
        raise ValueError("the timestamp is not an integer")
    return name, tuple(labels), value


def _family(name, types):
    """The family a sample's name belongs to (histogram and summary parts)."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def parse(page):
    samples = {}
    for line in page.split("\n"):
        if line and not line.startswith("#"):
            name, labels, value = _sample(line)
            samples[(name, labels)] = value
    return samples


def check(page):
    problems = []
    if not page.endswith("\n"):
        problems.append("the page does not end with a newline")
    helps, types, order, samples = {}, {}, [], {}
    done = set()  # families whose lines have ended
    current = None
    for n, line in enumerate(page.split("\n")[:-1], 1):
        where = f"line {n}: {line[:120]}"
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    problems.append(f"{where}: bad metric name")
                if parts[1] == "HELP":
                    if name in helps:
                        problems.append(f"{where}: a second HELP for {name}")
                    helps[name] = parts[3] if len(parts) == 4 else ""
                    if re.search(r"\\[^\\n]", helps[name]):
                        problems.append(f"{where}: HELP escapes only \\\\ and \\n")
                else:
                    if name in types:
                        problems.append(f"{where}: a second TYPE for {name}")
                    if len(parts) != 4 or parts[3] not in TYPES:
                        problems.append(f"{where}: unknown type")
                    elif any(_family(s, {name: parts[3]}) == name for s, _ in samples):
                        problems.append(f"{where}: TYPE after samples of {name}")
                    else:
                        types[name] = parts[3]
                if name in done or (current and current != name and name in order):
                    problems.append(f"{where}: {name}'s lines are not together")
                if current and current != name:
                    done.add(current)
                current = name
                if name not in order:
                    order.append(name)
            continue
        try:
            name, labels, value = _sample(line)
        except (ValueError, IndexError) as e:
            problems.append(f"{where}: {e}")
            continue
        family = _family(name, types)
        if family in done:
            problems.append(f"{where}: {family}'s lines are not together")
        if current and current != family:
            done.add(current)
        current = family
        if family not in order:
            order.append(family)
        if (name, labels) in samples:
            problems.append(f"{where}: the series appears twice")
        samples[(name, labels)] = value
        if types.get(family) == "counter" and not value >= 0:
            problems.append(f"{where}: a counter below zero")

    for family in order:
        kind = types.get(family, "untyped")
        if family not in helps:
            problems.append(f"{family}: no HELP")
        if family not in types:
            problems.append(f"{family}: no TYPE")
        if not re.fullmatch(r"[a-z_:][a-z0-9_:]*", family):
            problems.append(f"{family}: not snake_case")
        if kind == "counter" and not family.endswith("_total"):
            problems.append(f"{family}: a counter's name ends in _total")
        if kind != "counter" and family.endswith("_total"):
            problems.append(f"{family}: only counters end in _total")
        if kind == "histogram":
            problems += _check_histogram(family, samples)
    return problems


def _check_histogram(family, samples):
    problems = []
    series = {}
    for (name, labels), value in samples.items():
        if name not in (family + "_bucket", family + "_sum", family + "_count"):
            continue
        rest = tuple(kv for kv in labels if kv[0] != "le")
        entry = series.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if name.endswith("_bucket"):
            le = dict(labels).get("le")
            if le is None:
                problems.append(f"{family}{rest}: a bucket without le")
                continue
            entry["buckets"].append((_value(le), value))
        elif name.endswith("_sum"):
            entry["sum"] = value
        else:
            entry["count"] = value
    for rest, e in series.items():
        buckets = sorted(e["buckets"])
        if not buckets or buckets[-1][0] != math.inf:
            problems.append(f"{family}{rest}: no le=\"+Inf\" bucket")
            continue
        counts = [c for _, c in buckets]
        if counts != sorted(counts):
            problems.append(f"{family}{rest}: buckets are not cumulative")
        if e["count"] is None or e["sum"] is None:
            problems.append(f"{family}{rest}: no _count or _sum")
        elif e["count"] != buckets[-1][1]:
            problems.append(f"{family}{rest}: _count differs from the +Inf bucket")
    return problems
