// A bounds-checked cursor over a wasm binary. Every read either succeeds or returns a
// Malformed error naming the byte offset where it failed, so the decoder never reads past
// the end of its input.
#pragma once

#include "cirrus/support/utf8.h"
#include "cirrus/support/result.h"

#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <span>
#include <string>

namespace cirrus::wasm::detail {

class Reader {
public:
    Reader(std::span<const uint8_t> bytes, size_t pos = 0, size_t end = SIZE_MAX)
        : bytes_(bytes), pos_(pos), end_(end == SIZE_MAX ? bytes.size() : end) {}

    size_t pos() const { return pos_; }
    size_t end() const { return end_; }
    bool at_end() const { return pos_ >= end_; }
    size_t remaining() const { return end_ - pos_; }
    std::span<const uint8_t> bytes() const { return bytes_; }

    Error error(std::string what) const { return error_at(pos_, std::move(what)); }
    static Error error_at(size_t offset, std::string what) {
        return Error(ErrorKind::Malformed, fmt::format("{} (at offset {})", what, offset));
    }

    Result<uint8_t> u8() {
        if (pos_ >= end_) return error("unexpected end of section or function");
        return bytes_[pos_++];
    }
    Result<uint32_t> fixed_u32() {
        if (remaining() < 4) return error("unexpected end");
        uint32_t v;
        std::memcpy(&v, bytes_.data() + pos_, 4);
        pos_ += 4;
        return v;
    }
    Result<uint64_t> fixed_u64() {
        if (remaining() < 8) return error("unexpected end");
        uint64_t v;
        std::memcpy(&v, bytes_.data() + pos_, 8);
        pos_ += 8;
        return v;
    }

    Result<uint32_t> u32() { return unsigned_leb<uint32_t>(32); }
    Result<uint64_t> u64() { return unsigned_leb<uint64_t>(64); }
    Result<int32_t> s32() { return signed_leb<int32_t>(32); }
    Result<int64_t> s64() { return signed_leb<int64_t>(64); }
    // The 33-bit signed immediate of a block type.
    Result<int64_t> s33() { return signed_leb<int64_t>(33); }

    Result<std::span<const uint8_t>> take(size_t n) {
        if (remaining() < n) return error("unexpected end: length out of bounds");
        auto s = bytes_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    Result<std::string> name() {
        size_t start = pos_;
        CIRRUS_TRY_ASSIGN(uint32_t len, u32());
        CIRRUS_TRY_ASSIGN(auto data, take(len));
        std::string s(reinterpret_cast<const char*>(data.data()), data.size());
        if (!cirrus::valid_utf8(s)) return error_at(start, "malformed UTF-8 encoding");
        return s;
    }


private:
    template <typename T>
    Result<T> unsigned_leb(int bits) {
        T result = 0;
        int shift = 0;
        size_t start = pos_;
        while (true) {
            if (pos_ >= end_)
                return error_at(start, "unexpected end: integer representation too long");
            uint8_t b = bytes_[pos_++];
            int remaining_bits = bits - shift;
            if (remaining_bits < 7 && (b & 0x7f) >> remaining_bits)
                return error_at(start, "integer too large");
            result |= T(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) return result;
            if (shift >= bits) return error_at(start, "integer representation too long");
        }
    }
    template <typename T>
    Result<T> signed_leb(int bits) {
        using U = std::make_unsigned_t<T>;
        U result = 0;
        int shift = 0;
        size_t start = pos_;
        while (true) {
            if (pos_ >= end_)
                return error_at(start, "unexpected end: integer representation too long");
            uint8_t b = bytes_[pos_++];
            int remaining_bits = bits - shift;
            if (remaining_bits < 7) {
                // The unused bits of the last byte must all equal the sign bit.
                int sign = (b >> (remaining_bits - 1)) & 1;
                uint8_t rest = (b & 0x7f) >> remaining_bits;
                uint8_t want = sign ? (0x7f >> remaining_bits) : 0;
                if (rest != want) return error_at(start, "integer too large");
            }
            if (shift < int(sizeof(T) * 8)) result |= U(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) {
                if (shift < int(sizeof(T) * 8) && (b & 0x40)) result |= ~U(0) << shift;
                return static_cast<T>(result);
            }
            if (shift >= bits) return error_at(start, "integer representation too long");
        }
    }

    std::span<const uint8_t> bytes_;
    size_t pos_;
    size_t end_;
};

} // namespace cirrus::wasm::detail
