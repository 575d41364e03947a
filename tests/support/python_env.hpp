#pragma once
// Real Python environments for end-to-end tests, offline: tiny wheels built with `pip wheel`
// from packages the tests write (with tests/data/wheel_backend.py as their build backend),
// virtual environments made with `python3 -m venv`, and installs with
// `pip install --no-index --find-links`.
#include <filesystem>
#include <string>
#include <vector>

namespace envpin::test {

// A directory of wheels: tinypkg 1.0 and 2.0 (2.0 changes a module, drops one and adds one)
// and otherpkg 0.1. Built once per build tree and shared by every test (cross-process safe).
[[nodiscard]] const std::filesystem::path& wheelhouse();

// `python3 -m venv --without-pip PATH`; fails the test when it cannot.
void make_venv(const std::filesystem::path& path);

// Installs `requirements` (e.g. "tinypkg==1.0") into the venv at `venv` from wheelhouse().
void pip_install(const std::filesystem::path& venv, const std::vector<std::string>& requirements);

// lib/python3.X/site-packages of the venv.
[[nodiscard]] std::filesystem::path site_packages(const std::filesystem::path& venv);

}  // namespace envpin::test
