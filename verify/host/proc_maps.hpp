#pragma once
// Which files the loader actually mapped into this process, read from /proc/self/maps: the
// truth about which copy of a library (and of the sub-libraries it dlopens itself, as cuDNN 9
// does) a check ran against.
#include <string>
#include <string_view>
#include <vector>

namespace envpin::verify {

// Paths in `maps` (the text of a /proc/<pid>/maps file) whose file name starts with `prefix`
// ("libcudnn" matches libcudnn.so.9 and libcudnn_cnn.so.9), each once, in order of appearance.
[[nodiscard]] std::vector<std::string> mapped_files(std::string_view maps, std::string_view prefix);

// The same for this process; empty when /proc is unavailable.
[[nodiscard]] std::vector<std::string> mapped_files_here(std::string_view prefix);

} // namespace envpin::verify
