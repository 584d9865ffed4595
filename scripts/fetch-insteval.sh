#!/usr/bin/env bash
# Fetches InstEval into DEST (default: data/insteval) as GroupLens-style files (u.data, u.item,
# u.user) that `MovieLensDataset.load` and `marquee evaluate --dataset` read. The data is never committed.
#
# InstEval: 73,421 evaluations of 1,128 lecturers by 2,972 students of ETH Zurich, each a whole
# number 1-5 (as MovieLens), with no time at all. It is a data set of the R package lme4, taken from
# the Debian package r-cran-lme4 (`apt-get download`, no R needed): the lazy-load database
# data/Rdata.rdb/.rdx inside it is read by the small R-serialization reader below (standard library
# only). Licence GPL-2+ (lme4); cite Bates, Maechler, Bolker and Walker, "Fitting Linear Mixed-Effects
# Models Using lme4", Journal of Statistical Software 67(1), 2015.
#
# The files: u.data `student<TAB>lecturer<TAB>y<TAB>timestamp`, with the lecturer ids of the data set
# (factor d's labels) and student ids 1-2972 (factor s). Since the data has no order, each student's
# rows get timestamps 1000000000 + 0, 1, 2, ... in the order of SHA-256("insteval:13:<student>:<lecturer>")
# (seed 13, the hex digests compared as strings), so the protocol's temporal per-user holdout (the last
# max(1, n div 5) rows) becomes a seeded random per-user holdout. u.item: one row per lecturer, titled
# "Lecturer <id>", no date, no genre; u.user: one placeholder row per student (age 0, gender U,
# occupation student, ZIP 00000): InstEval has no such fields.
set -euo pipefail
dest="${1:-data/insteval}"
if [ -s "$dest/u.data" ] && [ -s "$dest/u.item" ] && [ -s "$dest/u.user" ]; then
  echo "InstEval already in $dest"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download needs the package lists: when they are missing, or older than the mirror (which
# then no longer has the version they name), read them again and retry once.
(cd "$tmp" && { apt-get download -qq r-cran-lme4 2>/dev/null || { apt-get update -qq && apt-get download -qq r-cran-lme4; }; })
deb=$(ls "$tmp"/r-cran-lme4_*.deb)
dpkg-deb -x "$deb" "$tmp/x"
mkdir -p "$dest"
python3 - "$tmp/x/usr/lib/R/site-library/lme4/data/Rdata" "$dest" "$(basename "$deb")" <<'PY'
import bz2, gzip, hashlib, lzma, os, struct, sys, zlib

base, dest, deb = sys.argv[1], sys.argv[2], sys.argv[3]


class RObject:
    """One R object: its type code, value (a list for vectors and pairlists) and attributes."""

    def __init__(self, kind, value, attributes=None):
        self.kind, self.value, self.attributes = kind, value, attributes or {}


class Reader:
    """The XDR form of R's serialization (versions 2 and 3): enough for data frames and factors."""

    NA_INT = -(2**31)

    def __init__(self, data):
        if data[:2] != b"X\n":
            raise SystemExit("not an XDR R serialization")
        self.data, self.pos, self.refs = data, 2, []
        version = self.int()
        self.int()
        self.int()
        if version == 3:
            size = self.int()  # the native encoding's name follows
            self.pos += size
        elif version != 2:
            raise SystemExit(f"R serialization version {version} is not supported")

    def int(self):
        (v,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return v

    def length(self):
        n = self.int()
        if n == -1:
            upper, lower = self.int(), self.int()
            n = (upper << 32) + (lower & 0xFFFFFFFF)
        return n

    def attributes(self):
        pairs = self.item()
        result = {}
        while pairs is not None and pairs.kind == 2:
            tag, car, pairs = pairs.value
            result[tag.value] = car
        return result

    def item(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & (1 << 9), flags & (1 << 10)
        if kind == 254:  # NILVALUE_SXP
            return None
        if kind in (253, 252, 251, 250, 242, 241):  # global/unbound/missing/base namespace/empty/base env
            return RObject(kind, None)
        if kind == 255:  # REFSXP
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == 1:  # SYMSXP
            symbol = RObject(1, self.item().value)
            self.refs.append(symbol)
            return symbol
        if kind in (2, 6, 239, 240):  # LISTSXP, LANGSXP, ATTRLISTSXP, ATTRLANGSXP
            attrs = self.attributes() if has_attr else {}
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            return RObject(2 if kind in (2, 239) else 6, (tag, car, cdr), attrs)
        if kind == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return RObject(9, None)
            text = self.data[self.pos : self.pos + n].decode("utf-8", "replace")
            self.pos += n
            return RObject(9, text)
        if kind in (10, 13):  # LGLSXP, INTSXP
            n = self.length()
            values = list(struct.unpack_from(f">{n}i", self.data, self.pos))
            self.pos += 4 * n
            return RObject(13, [None if v == self.NA_INT else v for v in values], self.attributes() if has_attr else {})
        if kind == 14:  # REALSXP
            n = self.length()
            values = list(struct.unpack_from(f">{n}d", self.data, self.pos))
            self.pos += 8 * n
            return RObject(14, values, self.attributes() if has_attr else {})
        if kind in (16, 19, 20):  # STRSXP, VECSXP, EXPRSXP
            n = self.length()
            values = [self.item() for _ in range(n)]
            if kind == 16:
                values = [v.value for v in values]
            return RObject(kind, values, self.attributes() if has_attr else {})
        if kind == 238:  # ALTREP_SXP
            info, state, attrs = self.item(), self.item(), self.item()
            name = info.value[1].value
            if name in ("compact_intseq", "compact_realseq"):
                n, start, step = state.value
                obj = RObject(13 if name == "compact_intseq" else 14, [start + k * step for k in range(int(n))])
            elif name.startswith("wrap_"):
                obj = state.value[0]
            else:
                raise SystemExit(f"ALTREP class {name} is not supported")
            while attrs is not None and attrs.kind == 2:
                tag, car, attrs = attrs.value
                obj.attributes[tag.value] = car
            return obj
        raise SystemExit(f"R object type {kind} is not supported")


def lazy_load(base, name):
    """The object `name` of an R lazy-load database (`base`.rdx index, `base`.rdb values)."""
    index = Reader(gzip.decompress(open(base + ".rdx", "rb").read())).item()
    names = index.attributes["names"].value
    variables = index.value[names.index("variables")]
    keys = variables.attributes["names"].value
    if name not in keys:
        raise SystemExit(f"{name} is not in {base}.rdx (found {', '.join(keys)})")
    offset, size = variables.value[keys.index(name)].value
    with open(base + ".rdb", "rb") as f:
        f.seek(offset)
        blob = f.read(size)
    compressed = index.value[names.index("compressed")].value[0]
    if compressed in (2, 3):
        kind, body = blob[4:5], blob[5:]
        data = {b"2": bz2.decompress, b"Z": lzma.decompress, b"0": lambda b: b}[kind](body)
    else:
        data = zlib.decompress(blob[4:])
    return Reader(data).item()


frame = lazy_load(base, "InstEval")
columns = dict(zip(frame.attributes["names"].value, frame.value))


def labels(column):
    """A factor's values as its level labels."""
    levels = columns[column].attributes["levels"].value
    return [levels[code - 1] for code in columns[column].value]


students = [int(s) for s in labels("s")]
lecturers = [int(d) for d in labels("d")]
ratings = columns["y"].value
rows = list(zip(students, lecturers, ratings))
# What the data set documents (lme4's ?InstEval): a check that the reader took it whole.
if (len(rows), len(set(students)), len(set(lecturers))) != (73421, 2972, 1128):
    raise SystemExit(f"unexpected InstEval shape: {len(rows)} rows, {len(set(students))} students, {len(set(lecturers))} lecturers")
if len({(s, d) for s, d, _ in rows}) != len(rows) or not all(r in (1, 2, 3, 4, 5) for r in ratings):
    raise SystemExit("InstEval has a repeated (student, lecturer) pair or a rating outside 1-5")

by_student = {}
for s, d, y in rows:
    by_student.setdefault(s, []).append((d, y))
with open(os.path.join(dest, "u.data.tmp"), "w") as out:
    for s in sorted(by_student):
        ordered = sorted(by_student[s], key=lambda dy: hashlib.sha256(f"insteval:13:{s}:{dy[0]}".encode()).hexdigest())
        for k, (d, y) in enumerate(ordered):
            out.write(f"{s}\t{d}\t{y}\t{1000000000 + k}\n")
with open(os.path.join(dest, "u.item.tmp"), "w") as out:
    for d in sorted(set(lecturers)):
        out.write(f"{d}|Lecturer {d}||||" + "|".join(["1"] + ["0"] * 18) + "\n")
with open(os.path.join(dest, "u.user.tmp"), "w") as out:
    for s in sorted(by_student):
        out.write(f"{s}|0|U|student|00000\n")
for name in ("u.item", "u.user", "u.data"):  # u.data last: its presence marks a complete fetch
    os.replace(os.path.join(dest, name + ".tmp"), os.path.join(dest, name))
with open(os.path.join(dest, "SOURCE"), "w") as out:
    out.write(f"InstEval from the lme4 data of the Debian package {deb}; see scripts/fetch-insteval.sh\n")
print(f"InstEval ({len(rows)} ratings, {len(by_student)} students, {len(set(lecturers))} lecturers; {deb}) in {dest}")
PY
