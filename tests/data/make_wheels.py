#!/usr/bin/env python3
"""Writes small but real wheels (zip + dist-info with METADATA, WHEEL, RECORD) for envpin's
tests, without any build backend: a stand-in PyTorch family whose Requires-Dist pins
nvidia-* packages like the real wheels do.

    make_wheels.py OUT_DIR NAME==VERSION[:REQ,REQ...][@TAG] ...

TAG (default py3-none-any) makes a wheel for one interpreter and platform, such as
cp312-cp312-manylinux_2_17_x86_64: several TAGs of one version are the files a real release has.

Example: make_wheels.py wh 'torch==2.7.1+cu128:nvidia-cudnn-cu12==9.7.1.26' nvidia-cudnn-cu12==9.7.1.26
"""
import base64
import hashlib
import os
import re
import sys
import zipfile


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def make_wheel(out_dir, spec):
    spec, _, tag = spec.partition("@")
    tag = tag or "py3-none-any"
    head, _, requires = spec.partition(":")
    name, version = head.split("==")
    module = re.sub(r"[-_.]+", "_", name).lower()
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    for requirement in filter(None, requires.split(",")):
        metadata += f"Requires-Dist: {requirement}\n"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: envpin-tests\nRoot-Is-Purelib: true\nTag: " + tag.encode() + b"\n",
    }
    record = [record_line(path, data) for path, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(out_dir, f"{module}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in files.items():
            info = zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    print(path)


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    for spec in sys.argv[2:]:
        make_wheel(sys.argv[1], spec)
