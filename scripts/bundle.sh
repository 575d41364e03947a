#!/usr/bin/env bash
# Packs envpin binaries built here, with the shared libraries they load that a machine without
# the -dev packages lacks (libgit2, SQLite, OpenSSL, ...), into one folder that runs elsewhere:
#   scripts/bundle.sh OUT_DIR BINARY [BINARY...]
# The binaries are stripped and find their libraries through an rpath ($ORIGIN/../lib), so
# LD_LIBRARY_PATH stays the user's own (verify's host check reports it). The C and C++ runtimes
# and the NVIDIA driver's libraries are left out: the other machine has its own, newer ones.
# Keep OUT_DIR ignored by git (.bundle/ is) so a device run can carry it.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR BINARY [BINARY...]" >&2; exit 2; }
out=$1; shift
command -v patchelf >/dev/null || { echo "bundle: patchelf is needed (apt-get install patchelf)" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out/bin" "$out/lib"
system='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libstdc\+\+\.so|libgcc_s\.so|libcuda\.so|libnvidia)'
# libcurl is loaded on first use (dlopen), so ldd does not list it: bundled with what it loads.
curl=$(ldconfig -p | awk '$1 == "libcurl.so.4" {print $NF; exit}')
for binary in "$@" ${curl:+"$curl"}; do
  if [ "$binary" = "$curl" ]; then cp -Ln "$curl" "$out/lib/libcurl.so.4"; else cp -L "$binary" "$out/bin/"; fi
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
    [[ $name =~ $system ]] || cp -Ln "$path" "$out/lib/$name"
  done
done
strip "$out"/bin/*
for binary in "$out"/bin/*; do patchelf --set-rpath '$ORIGIN/../lib' "$binary"; done
for library in "$out"/lib/*; do patchelf --set-rpath '$ORIGIN' "$library"; done
echo "bundle: $(ls "$out/bin" | wc -l) binaries, $(ls "$out/lib" | wc -l) libraries, $(du -sh "$out" | cut -f1) in $out"
