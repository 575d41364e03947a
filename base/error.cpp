#include "base/error.hpp"

namespace envpin {

std::string_view to_string(ErrorCode code)
{
    switch (code) {
    case ErrorCode::bad_input: return "bad input";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::already_exists: return "already exists";
    case ErrorCode::io: return "I/O error";
    case ErrorCode::busy: return "busy";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::sqlite: return "SQLite error";
    case ErrorCode::git: return "git error";
    case ErrorCode::installer: return "installer failed";
    case ErrorCode::timeout: return "timed out";
    case ErrorCode::cuda: return "CUDA error";
    case ErrorCode::internal: return "internal error";
    }
    return "error";
}

Error& Error::with_context(std::string what)
{
    context.insert(context.begin(), std::move(what));
    return *this;
}

std::string Error::describe() const
{
    std::string text;
    for (const auto& layer : context) {
        text += layer;
        text += ": ";
    }
    text += message;
    return text;
}

}  // namespace envpin
