#!/usr/bin/env python3
"""Checks that #include lines respect the allowed area dependencies.

Usage: check_layering.py [ROOT]   (default: the repository this script lives in)

An area is the first directory under src/, include/vitrum/ or kernels/ (src/md/x.cpp,
include/vitrum/md/x.hpp and kernels/md/x.cu are all `md`). Each `#include "..."` is mapped to the
area it names: "vitrum/<area>/..." (public headers), "<area>/..." (a kernels/ driver header), or
a relative include resolved against the including file. The allowed dependencies are read from
ROOT/scripts/area_dependencies.txt. Prints every violation as FILE:LINE and exits 1 if any.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
TOP = ("src", "include/vitrum", "kernels")
SUFFIXES = {".cpp", ".hpp", ".h", ".cu", ".cuh"}


def read_rules(path):
    areas, files = {}, {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" not in line:
            sys.exit(f"{path}:{n}: expected 'AREA: AREAS' or 'FILE: AREAS'")
        key, deps = line.split(":", 1)
        target = files if "/" in key else areas
        target[key.strip()] = set(deps.split())
    return areas, files


def area_of(rel):
    for top in TOP:
        prefix = top + "/"
        if rel.startswith(prefix):
            rest = rel[len(prefix):].split("/")
            return rest[0] if len(rest) > 1 else None
    return None


def included_area(root, src, inc):
    if inc.startswith("vitrum/"):
        parts = inc.split("/")
        return parts[1] if len(parts) > 2 else None
    local = (src.parent / inc).resolve()
    if local.exists():
        try:
            return area_of(str(local.relative_to(root.resolve())))
        except ValueError:
            return None
    if (root / "kernels" / inc).exists() and "/" in inc:
        return inc.split("/")[0]
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    areas, files = read_rules(root / "scripts" / "area_dependencies.txt")
    bad = 0
    for top in TOP:
        for src in sorted((root / top).rglob("*")):
            if src.suffix not in SUFFIXES or not src.is_file():
                continue
            rel = str(src.relative_to(root))
            area = area_of(rel)
            if area is None:
                continue
            if area not in areas:
                print(f"{rel}: area '{area}' is not declared in scripts/area_dependencies.txt")
                bad += 1
                continue
            allowed = areas[area] | files.get(rel, set()) | {area}
            for n, line in enumerate(src.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                dep = included_area(root, src, m.group(1))
                if dep is not None and dep not in allowed:
                    print(f"{rel}:{n}: {area} may not include {dep} (\"{m.group(1)}\"); allowed: "
                          f"{', '.join(sorted(allowed))} (scripts/area_dependencies.txt)")
                    bad += 1
    if bad:
        print(f"{bad} include(s) break the layering")
        return 1
    print("layering: every include respects scripts/area_dependencies.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
