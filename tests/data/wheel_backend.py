"""A minimal PEP 517 build backend for envpin's tests: builds a pure-Python wheel from the
project's pyproject.toml (name, version) and its package directory, with no setuptools, wheel
or network. The tests copy it into each tiny package they write and run `pip wheel` on it."""
import base64
import hashlib
import os
import re
import zipfile


def _project():
    text = open("pyproject.toml", encoding="utf-8").read()
    name = re.search(r'^name = "([^"]+)"', text, re.M).group(1)
    version = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
    return name, version


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version = _project()
    dist_info = f"{name}-{version}.dist-info"
    files = {}
    for root, _, names in os.walk(name):
        for file_name in sorted(names):
            path = os.path.join(root, file_name)
            files[path] = open(path, "rb").read()
    files[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: envpin-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = [_record_line(path, data) for path, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel_name = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return wheel_name
