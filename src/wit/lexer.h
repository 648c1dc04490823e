// The WIT tokenizer: turns one source file into tokens on demand. It is a small value (a
// position), so the parser looks ahead by copying it. Keywords and punctuation live in one
// table (WIT_TOKENS) shared by the lexer and the error messages.
#pragma once

#include "cirrus/support/result.h"
#include "cirrus/wit/resolve.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cirrus::wit::detail {

// X(name, keyword text or nullptr, description used in "expected ..., found ..." messages)
#define WIT_TOKENS(X)                                                                              \
    X(Whitespace, nullptr, "whitespace")                                                           \
    X(Comment, nullptr, "a comment")                                                               \
    X(Equals, nullptr, "'='")                                                                      \
    X(Comma, nullptr, "','")                                                                       \
    X(Colon, nullptr, "':'")                                                                       \
    X(Period, nullptr, "'.'")                                                                      \
    X(Semicolon, nullptr, "';'")                                                                   \
    X(LeftParen, nullptr, "'('")                                                                   \
    X(RightParen, nullptr, "')'")                                                                  \
    X(LeftBrace, nullptr, "'{'")                                                                   \
    X(RightBrace, nullptr, "'}'")                                                                  \
    X(LessThan, nullptr, "'<'")                                                                    \
    X(GreaterThan, nullptr, "'>'")                                                                 \
    X(RArrow, nullptr, "`->`")                                                                     \
    X(Star, nullptr, "`*`")                                                                        \
    X(At, nullptr, "`@`")                                                                          \
    X(Slash, nullptr, "`/`")                                                                       \
    X(Plus, nullptr, "`+`")                                                                        \
    X(Minus, nullptr, "`-`")                                                                       \
    X(StringLiteral, nullptr, "a string literal")                                                  \
    X(Id, nullptr, "an identifier")                                                                \
    X(ExplicitId, nullptr, "an '%' identifier")                                                    \
    X(Integer, nullptr, "an integer")                                                              \
    X(Use, "use", "keyword `use`")                                                                 \
    X(Type, "type", "keyword `type`")                                                              \
    X(Func, "func", "keyword `func`")                                                              \
    X(U8, "u8", "keyword `u8`")                                                                    \
    X(U16, "u16", "keyword `u16`")                                                                 \
    X(U32, "u32", "keyword `u32`")                                                                 \
    X(U64, "u64", "keyword `u64`")                                                                 \
    X(S8, "s8", "keyword `s8`")                                                                    \
    X(S16, "s16", "keyword `s16`")                                                                 \
    X(S32, "s32", "keyword `s32`")                                                                 \
    X(S64, "s64", "keyword `s64`")                                                                 \
    X(F32, "f32", "keyword `f32`")                                                                 \
    X(F64, "f64", "keyword `f64`")                                                                 \
    X(Char, "char", "keyword `char`")                                                              \
    X(Resource, "resource", "keyword `resource`")                                                  \
    X(Own, "own", "keyword `own`")                                                                 \
    X(Borrow, "borrow", "keyword `borrow`")                                                        \
    X(Record, "record", "keyword `record`")                                                        \
    X(Flags, "flags", "keyword `flags`")                                                           \
    X(Variant, "variant", "keyword `variant`")                                                     \
    X(Enum, "enum", "keyword `enum`")                                                              \
    X(Bool, "bool", "keyword `bool`")                                                              \
    X(String, "string", "keyword `string`")                                                        \
    X(Option, "option", "keyword `option`")                                                        \
    X(Result, "result", "keyword `result`")                                                        \
    X(Future, "future", "keyword `future`")                                                        \
    X(Stream, "stream", "keyword `stream`")                                                        \
    X(ErrorContext, "error-context", "keyword `error-context`")                                    \
    X(List, "list", "keyword `list`")                                                              \
    X(Map, "map", "keyword `map`")                                                                 \
    X(Underscore, "_", "keyword `_`")                                                              \
    X(As, "as", "keyword `as`")                                                                    \
    X(From, "from", "keyword `from`")                                                              \
    X(Static, "static", "keyword `static`")                                                        \
    X(Interface, "interface", "keyword `interface`")                                               \
    X(Tuple, "tuple", "keyword `tuple`")                                                           \
    X(Import, "import", "keyword `import`")                                                        \
    X(Export, "export", "keyword `export`")                                                        \
    X(World, "world", "keyword `world`")                                                           \
    X(Package, "package", "keyword `package`")                                                     \
    X(Constructor, "constructor", "keyword `constructor`")                                         \
    X(Include, "include", "keyword `include`")                                                     \
    X(With, "with", "keyword `with`")                                                              \
    X(Async, "async", "keyword `async`")

enum class Tok : uint8_t {
#define WIT_TOKEN_ENUM(name, text, desc) name,
    WIT_TOKENS(WIT_TOKEN_ENUM)
#undef WIT_TOKEN_ENUM
};

const char* describe(Tok t);
// The keyword a token spells, or nullptr.
const char* keyword_text(Tok t);
// True when `name` is a WIT keyword (so printing it needs a `%` escape).
bool is_keyword(std::string_view name);

struct Token {
    Tok kind;
    Span span;
};

// The parser and resolvers return false with their error recorded; this propagates it.
#define WIT_TRY(expr)                                                                              \
    do {                                                                                           \
        if (!(expr)) return false;                                                                 \
    } while (0)

// Errors raised while lexing or parsing: the message and where it applies.
struct SyntaxError {
    std::string message;
    Span span;
};

class Tokenizer {
public:
    // `text` is one file's contents; `base` its global offset.
    Tokenizer(std::string_view text, uint32_t base) : text_(text), base_(base) {}

    // Checks the whole text for forbidden code points (controls, bidi overrides).
    std::optional<SyntaxError> validate() const;

    // The next token skipping whitespace and comments; nullopt at end of file.
    bool next(std::optional<Token>& out, SyntaxError& err);
    bool next_raw(std::optional<Token>& out, SyntaxError& err);

    std::string_view text_of(Span span) const {
        return text_.substr(span.start - base_, span.end - span.start);
    }
    Span eof_span() const {
        uint32_t end = base_ + static_cast<uint32_t>(text_.size());
        return Span{end, end};
    }
    // Name of an identifier token (`%` stripped for explicit ones), validated as kebab-case.
    bool id_name(const Token& tok, std::string& out, SyntaxError& err) const;
    // The value of a string literal token.
    bool string_value(const Token& tok, std::string& out, SyntaxError& err) const;

private:
    bool eatc(char c);
    bool lex_string(SyntaxError& err);

    std::string_view text_;
    uint32_t base_;
    size_t pos_ = 0;
};

// Checks that `id` is kebab-case: parts of all-lowercase or all-uppercase letters and digits,
// separated by single '-', the first part starting with a letter.
std::optional<std::string> validate_id(std::string_view id);

} // namespace cirrus::wit::detail
