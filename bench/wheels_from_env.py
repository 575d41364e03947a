#!/usr/bin/env python3
"""Rebuild a wheelhouse from an installed Python environment, offline.

    bench/wheels_from_env.py ENV_DIR OUT_DIR [--only NAME ...] [--jobs N]

Every distribution in ENV_DIR's site-packages becomes one uncompressed wheel in OUT_DIR: the
files its RECORD lists (minus what installers generate: INSTALLER, REQUESTED, direct_url.json,
bytecode), its dist-info with the RECORD lines it had (their sha256 are the files' own), named
with the tags of its WHEEL file. Console scripts come back from entry_points.txt; other
files an installer put outside site-packages (../../bin/...) are left out and listed.

The GPU machine has no network: this is how its real PyTorch stack is reinstalled there, by
`envpin create --find-links OUT_DIR --offline` and by uv for the side-by-side timings. Prints
one line per wheel written (its path) and a summary on stderr.
"""
import argparse
import csv
import os
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor

GENERATED = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD", "uv_cache.json"}


def site_packages(env):
    lib = os.path.join(env, "lib")
    for name in sorted(os.listdir(lib)):
        candidate = os.path.join(lib, name, "site-packages")
        if name.startswith("python3") and os.path.isdir(candidate):
            return candidate
    sys.exit(f"wheels_from_env: {env}: no lib/python3*/site-packages (not a Python environment)")


def metadata_field(dist_info, field):
    with open(os.path.join(dist_info, "METADATA"), encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                break
            if line.lower().startswith(field.lower() + ":"):
                return line.split(":", 1)[1].strip()
    return None


def wheel_tag(dist_info):
    """The compressed tag set of the WHEEL file's Tag lines ("py2.py3-none-any")."""
    tags = []
    try:
        with open(os.path.join(dist_info, "WHEEL"), encoding="utf-8") as f:
            tags = [line.split(":", 1)[1].strip().split("-") for line in f if line.startswith("Tag:")]
    except FileNotFoundError:
        pass
    tags = [tag for tag in tags if len(tag) == 3] or [["py3", "none", "any"]]
    return "-".join(".".join(sorted({tag[i] for tag in tags})) for i in range(3))


def repack(site, info, out):
    """Writes the wheel of one dist-info; returns (path, files, left_out)."""
    dist_info = os.path.join(site, info)
    name = metadata_field(dist_info, "Name")
    version = metadata_field(dist_info, "Version")
    if not name or not version:
        return None, 0, [f"{info}: METADATA has no Name/Version"]
    record_path = os.path.join(dist_info, "RECORD")
    rows = []
    with open(record_path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f) if row and row[0]]
    kept, left_out = [], []
    for row in rows:
        path = row[0]
        base = os.path.basename(path)
        if "__pycache__" in path or path.endswith(".pyc"):
            continue
        if path.startswith(info + "/") and base in GENERATED:
            continue
        if path.startswith("..") or os.path.isabs(path):
            left_out.append(path)
            continue
        if os.path.isfile(os.path.join(site, path)):
            kept.append(row)
    stem = name.replace("-", "_").replace(".", "_")
    wheel = os.path.join(out, f"{stem}-{version.replace('-', '_')}-{wheel_tag(dist_info)}.whl")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as z:
        for row in kept:
            z.write(os.path.join(site, row[0]), row[0])
        record = [",".join(row[:3] + [""] * (3 - len(row[:3]))) for row in kept]
        record.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel, len(kept), left_out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env")
    parser.add_argument("out")
    parser.add_argument("--only", nargs="*", help="distribution names to repack (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    site = site_packages(args.env)
    os.makedirs(args.out, exist_ok=True)
    infos = sorted(d for d in os.listdir(site) if d.endswith(".dist-info"))
    if args.only:
        wanted = {n.lower().replace("_", "-") for n in args.only}
        infos = [d for d in infos if d.rsplit("-", 1)[0].lower().replace("_", "-") in wanted]
    total_files, skipped = 0, []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for wheel, files, left_out in pool.map(repack, [site] * len(infos), infos, [args.out] * len(infos)):
            if wheel:
                print(wheel)
            total_files += files
            skipped += left_out
    print(f"wheels_from_env: {len(infos)} distributions, {total_files} files; "
          f"{len(skipped)} paths outside site-packages left out", file=sys.stderr)


if __name__ == "__main__":
    main()
