#!/usr/bin/env python3
"""Generates a synthetic Python environment tree with the shape of a real ML environment:
a long tail of small .py/.pyc files in many packages, some shared libraries of a few MB, and a
few files of hundreds of MB (the CUDA libraries of a PyTorch environment). Deterministic for a
given --seed. Scale it to the machine with --scale (1.0: ~40,000 files, ~1.5 GB).

    bench/make_env_tree.py /tmp/bench/env --scale 1.0
"""
import argparse
import os
import random


def package_name(number):
    # Names spread over the alphabet, as a real environment's are (numpy, scipy, sympy, torch, ...).
    return f"{chr(ord('a') + number % 26)}pkg{number:04d}"


def write(path, size, rng, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        remaining = size
        while remaining > 0:
            chunk = min(remaining, 8 << 20)
            out.write(rng.randbytes(chunk))
            remaining -= chunk
    os.chmod(path, mode)


def small_size(rng):
    # Log-normal around 3 kB, like the .py files of site-packages; capped at 256 kB.
    return min(int(rng.lognormvariate(8.0, 1.2)), 256 << 10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies file counts (default 1.0)")
    parser.add_argument("--big-mb", type=int, default=300, help="size of each big file in MB (default 300)")
    parser.add_argument("--big-count", type=int, default=3, help="number of big files (default 3)")
    parser.add_argument("--torch-files", type=int, default=-1,
                        help="files of the stand-in torch package, with a dist-info and RECORD (default: 15%% of the small files)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    site = os.path.join(args.root, "lib", "python3.11", "site-packages")
    small_files = int(40000 * args.scale)
    packages = max(1, int(200 * args.scale))
    medium_files = max(1, int(100 * args.scale))

    with open(os.path.join(os.makedirs(args.root, exist_ok=True) or args.root, "pyvenv.cfg"), "w") as cfg:
        cfg.write("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    os.makedirs(os.path.join(args.root, "bin"), exist_ok=True)
    if not os.path.lexists(os.path.join(args.root, "bin", "python")):
        os.symlink("/usr/bin/python3", os.path.join(args.root, "bin", "python"))
    for i in range(small_files):
        package = package_name(rng.randrange(packages))
        depth = rng.randrange(3)
        sub = "/".join(f"sub{rng.randrange(8)}" for _ in range(depth))
        suffix = ".py" if i % 3 else ".cpython-311.pyc"
        folder = os.path.join(site, package, sub, "__pycache__" if suffix.endswith("pyc") else "")
        write(os.path.join(folder, f"m{i}{suffix}"), small_size(rng), rng)
    for i in range(medium_files):
        package = package_name(rng.randrange(packages))
        write(os.path.join(site, package, "lib", f"lib{i}.so"), rng.randrange(1 << 20, 8 << 20), rng, 0o755)
    write_torch(site, args.torch_files if args.torch_files >= 0 else small_files * 15 // 100, rng)
    for i in range(args.big_count):
        write(os.path.join(site, "nvidia", f"big{i}", "lib", f"libbig{i}.so"), args.big_mb << 20, rng, 0o755)
    write_dist_info(site, "nvidia-big", "1.0.0", "nvidia")
    for p in range(packages):
        write_dist_info(site, package_name(p), f"1.{p}.0", package_name(p))


def write_dist_info(site, name, version, top):
    """A dist-info whose RECORD lists every file under site/top, as an installer leaves it (so
    that bench/wheels_from_env.py can rebuild the distribution as a wheel)."""
    info_name = f"{name.replace('-', '_')}-{version}.dist-info"
    info = os.path.join(site, info_name)
    os.makedirs(info, exist_ok=True)
    files = {"METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             "WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n", "INSTALLER": "pip\n"}
    for file_name, text in files.items():
        with open(os.path.join(info, file_name), "w") as out:
            out.write(text)
    record = [f"{info_name}/{file_name},," for file_name in files]
    for folder, _, names in os.walk(os.path.join(site, top)):
        record += [f"{os.path.relpath(os.path.join(folder, n), site)},," for n in sorted(names)]
    record.append(f"{info_name}/RECORD,,")
    with open(os.path.join(info, "RECORD"), "w") as out:
        out.write("\n".join(record) + "\n")


def write_torch(site, count, rng):
    """A stand-in torch package (one package of many files, what a one-package rollback moves),
    with the dist-info and RECORD a wheel rebuilt from it needs."""
    info = os.path.join(site, "torch-2.11.0+cu130.dist-info")
    os.makedirs(info, exist_ok=True)
    record = []
    for i in range(count):
        relative = f"torch/sub{i % 16}/t{i}.py"
        write(os.path.join(site, relative), small_size(rng), rng)
        record.append(f"{relative},,")
    files = {"METADATA": "Metadata-Version: 2.1\nName: torch\nVersion: 2.11.0+cu130\n",
             "WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: py3-none-any\n", "INSTALLER": "pip\n"}
    for name, text in files.items():
        with open(os.path.join(info, name), "w") as out:
            out.write(text)
        record.append(f"torch-2.11.0+cu130.dist-info/{name},,")
    record.append("torch-2.11.0+cu130.dist-info/RECORD,,")
    with open(os.path.join(info, "RECORD"), "w") as out:
        out.write("\n".join(record) + "\n")


if __name__ == "__main__":
    main()
