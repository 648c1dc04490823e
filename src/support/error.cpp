// Names and rendering for cirrus::Error.
#include "cirrus/support/result.h"

namespace cirrus {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Malformed: return "malformed";
    case ErrorKind::Invalid: return "invalid";
    case ErrorKind::Unlinkable: return "unlinkable";
    case ErrorKind::Trap: return "trap";
    case ErrorKind::Exhaustion: return "exhaustion";
    case ErrorKind::Io: return "io";
    case ErrorKind::Usage: return "usage";
    case ErrorKind::Limit: return "limit";
    case ErrorKind::Other: return "error";
    }
    return "error";
}

std::string Error::to_string() const {
    std::string out = message;
    if (!backtrace.empty()) {
        out += "\nwasm backtrace:";
        for (size_t i = 0; i < backtrace.size(); ++i) {
            out += "\n  " + std::to_string(i) + ": " + backtrace[i];
        }
    }
    return out;
}

} // namespace cirrus
