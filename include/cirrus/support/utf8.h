// UTF-8 as the WebAssembly and component-model specs use it (RFC 3629): Unicode scalar
// values in their shortest form; no surrogates, nothing past U+10FFFF. One implementation
// for the core decoder's names, the component layer's strings and the WIT reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cirrus {

// Decodes `s` into code points (appended to `*out` unless it is null); false on any invalid
// or truncated sequence.
bool decode_utf8(std::string_view s, std::vector<uint32_t>* out);
inline bool valid_utf8(std::string_view s) {
    return decode_utf8(s, nullptr);
}
// Appends the UTF-8 encoding of code point `cp` (which the caller has checked is a scalar value).
void append_utf8(std::string& out, uint32_t cp);

} // namespace cirrus
