#include "base/error.hpp"

namespace envpin {

std::string_view to_string(ErrorCode code)
{
    switch (code) {
    case ErrorCode::bad_input: return "bad_input";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::already_exists: return "already_exists";
    case ErrorCode::io: return "io";
    case ErrorCode::busy: return "busy";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::sqlite: return "sqlite";
    case ErrorCode::git: return "git";
    case ErrorCode::installer: return "installer";
    case ErrorCode::timeout: return "timeout";
    case ErrorCode::cuda: return "cuda";
    case ErrorCode::network: return "network";
    case ErrorCode::internal: return "internal";
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
