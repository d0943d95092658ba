#pragma once
// The one error type core/ throws. Its message always names the file and the
// field or tensor involved, and what was expected, e.g.
//   model.gguf: tensor 'blk.3.attn_q.weight': expected 2 dims, got 5
#include <stdexcept>
#include <string>

namespace qb {

enum class ErrorKind {
    BadInput,   // the user's file or argument is wrong (CLI exit code 2)
    Internal,   // our own failure or the system's (CLI exit code 1)
    Cancelled,  // the user asked to stop
};

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, ErrorKind kind = ErrorKind::BadInput)
        : std::runtime_error(message), m_kind(kind) {}
    ErrorKind kind() const { return m_kind; }

private:
    ErrorKind m_kind;
};

// "file: what" — the common prefix of every message about a file.
inline Error fileError(const std::string& file, const std::string& what,
                       ErrorKind kind = ErrorKind::BadInput) {
    return Error(file + ": " + what, kind);
}

} // namespace qb
