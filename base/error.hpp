#pragma once
// Error values returned across library boundaries. A "no" answer (no resolution, a failed
// check, drift) is never an Error: it is a value of the library's own result type.
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace envpin {

// Closed set of failure kinds. cli maps each to an exit code (cli/exit_code.hpp):
// bad_input, not_found and already_exists are the user's (2); the rest are runtime (3).
enum class ErrorCode {
    bad_input,       // malformed flag, file or reference
    not_found,       // unknown environment, snapshot, file
    already_exists,  // name or path already in use
    io,              // filesystem or process failure
    busy,            // store lock held by another process
    corrupt,         // store or manifest integrity violated
    sqlite,
    git,
    installer,  // uv / pip failed
    timeout,
    cuda,
    network,   // an index or server could not be read, or answered what it must not
    internal,  // broken invariant
};

[[nodiscard]] std::string_view to_string(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
    // Outer layers prepend what they were doing ("adopting /x/.venv"), innermost last.
    std::vector<std::string> context;

    // Adds a layer of context, returns *this for chaining in return statements.
    Error& with_context(std::string what);
    // "adopting /x: reading METADATA: file is truncated".
    [[nodiscard]] std::string describe() const;
    bool operator==(const Error&) const = default;
};

template <class T>
using Expected = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string message)
{
    return std::unexpected(Error{code, std::move(message), {}});
}

template <class... Args>
[[nodiscard]] std::unexpected<Error> fail(ErrorCode code, fmt::format_string<Args...> format,
                                          Args&&... args)
{
    return std::unexpected(Error{code, fmt::format(format, std::forward<Args>(args)...), {}});
}

#define ENVPIN_CONCAT_INNER_(a, b) a##b
#define ENVPIN_CONCAT_(a, b) ENVPIN_CONCAT_INNER_(a, b)

// Propagates the error of an Expected and yields its value otherwise (GNU statement
// expression, like ccache's TRY). Usage: auto text = ENVPIN_TRY(read_file(path));
// Nests: each expansion gets its own variable (__COUNTER__).
#define ENVPIN_TRY(...) ENVPIN_TRY_IMPL_(ENVPIN_CONCAT_(envpin_try_, __COUNTER__), __VA_ARGS__)
#define ENVPIN_TRY_IMPL_(result, ...)                              \
    ({                                                             \
        auto&& result = (__VA_ARGS__);                             \
        if (!result)                                               \
            return std::unexpected(std::move(result).error());     \
        std::move(result).value();                                 \
    })

// Same, but adds a context layer to the error on the way out.
#define ENVPIN_TRY_CTX(context_text, ...) \
    ENVPIN_TRY_CTX_IMPL_(ENVPIN_CONCAT_(envpin_try_, __COUNTER__), context_text, __VA_ARGS__)
#define ENVPIN_TRY_CTX_IMPL_(result, context_text, ...)                                        \
    ({                                                                                         \
        auto&& result = (__VA_ARGS__);                                                         \
        if (!result)                                                                           \
            return std::unexpected(std::move(result).error().with_context(context_text));     \
        std::move(result).value();                                                             \
    })

}  // namespace envpin
