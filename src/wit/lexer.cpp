// The WIT tokenizer (component-model design/mvp/WIT.md, "Lexical structure"): whitespace,
// `//` and nested `/* */` comments (doc comments are comments the parser keeps), punctuation,
// keywords, identifiers (`%` escapes a keyword), integers and string literals.
#include "lexer.h"

#include <fmt/format.h>

#include <cstring>

namespace cirrus::wit::detail {

namespace {

struct TokenInfo {
    const char* text;
    const char* desc;
};

constexpr TokenInfo kTokenInfo[] = {
#define WIT_TOKEN_INFO(name, text, desc) {text, desc},
    WIT_TOKENS(WIT_TOKEN_INFO)
#undef WIT_TOKEN_INFO
};

bool is_keylike_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c >= 0x80;
}

bool is_keylike_continue(unsigned char c) {
    return is_keylike_start(c) || (c >= '0' && c <= '9');
}

// Decodes the UTF-8 sequence at `s[i]`; returns the code point and advances `len`.
uint32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    len = 1;
    if (c < 0x80) return c;
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    uint32_t cp = c & (0x3f >> extra);
    for (int k = 0; k < extra && i + len < s.size(); ++k, ++len) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + len]) & 0x3f);
    }
    return cp;
}

std::string char_debug(uint32_t cp) {
    if (cp >= 0x20 && cp < 0x7f) {
        if (cp == '\'') return "'\\''";
        return fmt::format("'{}'", static_cast<char>(cp));
    }
    return fmt::format("'\\u{{{:x}}}'", cp);
}

} // namespace

const char* describe(Tok t) {
    return kTokenInfo[static_cast<size_t>(t)].desc;
}
const char* keyword_text(Tok t) {
    return kTokenInfo[static_cast<size_t>(t)].text;
}

static std::optional<Tok> keyword_token(std::string_view word) {
    for (size_t i = 0; i < std::size(kTokenInfo); ++i) {
        if (kTokenInfo[i].text && word == kTokenInfo[i].text) return static_cast<Tok>(i);
    }
    return std::nullopt;
}

bool is_keyword(std::string_view name) {
    return keyword_token(name).has_value();
}

std::optional<std::string> validate_id(std::string_view id) {
    if (id.empty()) return std::string("identifiers must have characters between '-'s");
    size_t part_start = 0;
    for (size_t idx = 0;; ++idx) {
        size_t dash = id.find('-', part_start);
        std::string_view part =
            id.substr(part_start, dash == std::string_view::npos ? id.npos : dash - part_start);
        if (part.empty()) return std::string("identifiers must have characters between '-'s");
        unsigned char first = static_cast<unsigned char>(part[0]);
        if (idx == 0 && !std::isalpha(first)) {
            size_t len;
            return fmt::format("invalid character in identifier {}",
                               char_debug(decode_utf8(part, 0, len)));
        }
        int upper = -1;
        for (size_t i = 0; i < part.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(part[i]);
            if (c >= '0' && c <= '9') continue;
            int is_upper = (c >= 'A' && c <= 'Z') ? 1 : (c >= 'a' && c <= 'z') ? 0 : -1;
            if (is_upper < 0 || (upper >= 0 && upper != is_upper)) {
                size_t len;
                return fmt::format("invalid character in identifier {}",
                                   char_debug(decode_utf8(part, i, len)));
            }
            upper = is_upper;
        }
        if (dash == std::string_view::npos) break;
        part_start = dash + 1;
    }
    return std::nullopt;
}

std::optional<SyntaxError> Tokenizer::validate() const {
    for (size_t i = 0; i < text_.size();) {
        size_t len;
        uint32_t cp = decode_utf8(text_, i, len);
        Span at{base_ + static_cast<uint32_t>(i), base_ + static_cast<uint32_t>(i)};
        if (cp == '\n' || cp == '\r' || cp == '\t') {
        } else if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            return SyntaxError{
                fmt::format("Input contains bidirectional override codepoint \"\\u{{{:x}}}\"", cp),
                at};
        } else if (cp == 0x149 || cp == 0x673 || cp == 0xf77 || cp == 0xf79 || cp == 0x17a3 ||
                   cp == 0x17a4 || cp == 0x17b4 || cp == 0x17b5) {
            return SyntaxError{
                fmt::format("Codepoint \"\\u{{{:x}}}\" is discouraged by Unicode", cp), at};
        } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            return SyntaxError{fmt::format("Control code '\\u{{{:x}}}'", cp), at};
        }
        i += len;
    }
    return std::nullopt;
}

bool Tokenizer::eatc(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
        ++pos_;
        return true;
    }
    return false;
}

bool Tokenizer::next(std::optional<Token>& out, SyntaxError& err) {
    for (;;) {
        if (!next_raw(out, err)) return false;
        if (!out || (out->kind != Tok::Whitespace && out->kind != Tok::Comment)) return true;
    }
}

bool Tokenizer::lex_string(SyntaxError& err) {
    // pos_ is just after the opening quote.
    for (;;) {
        if (pos_ >= text_.size()) {
            err = {"unterminated string literal", eof_span()};
            return false;
        }
        char c = text_[pos_++];
        if (c == '"') return true;
        if (c == '\\') {
            if (pos_ >= text_.size()) {
                err = {"unexpected end of file", eof_span()};
                return false;
            }
            ++pos_;
        } else if (c == '\n') {
            Span at{base_ + static_cast<uint32_t>(pos_ - 1), base_ + static_cast<uint32_t>(pos_)};
            err = {"invalid string character '\\n'", at};
            return false;
        }
    }
}

bool Tokenizer::next_raw(std::optional<Token>& out, SyntaxError& err) {
    out.reset();
    if (pos_ >= text_.size()) return true;
    size_t start = pos_;
    auto span_here = [&]() {
        return Span{base_ + static_cast<uint32_t>(start), base_ + static_cast<uint32_t>(pos_)};
    };
    unsigned char ch = static_cast<unsigned char>(text_[pos_++]);
    Tok kind;
    switch (ch) {
    case '\r':
        if (!eatc('\n')) {
            err = {"unexpected character '\\r'", span_here()};
            return false;
        }
        [[fallthrough]];
    case '\n':
    case '\t':
    case ' ':
        for (;;) {
            if (eatc(' ') || eatc('\t') || eatc('\n')) continue;
            if (pos_ + 1 < text_.size() && text_[pos_] == '\r' && text_[pos_ + 1] == '\n') {
                pos_ += 2;
                continue;
            }
            break;
        }
        kind = Tok::Whitespace;
        break;
    case '/':
        if (eatc('/')) {
            while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
            if (pos_ < text_.size()) ++pos_;
            kind = Tok::Comment;
        } else if (eatc('*')) {
            int depth = 1;
            while (depth > 0) {
                if (pos_ >= text_.size()) {
                    err = {"unterminated block comment",
                           Span{base_ + static_cast<uint32_t>(start),
                                base_ + static_cast<uint32_t>(start)}};
                    return false;
                }
                char c = text_[pos_++];
                if (c == '/' && eatc('*')) {
                    ++depth;
                } else if (c == '*' && eatc('/')) {
                    --depth;
                }
            }
            kind = Tok::Comment;
        } else {
            kind = Tok::Slash;
        }
        break;
    case '=': kind = Tok::Equals; break;
    case ',': kind = Tok::Comma; break;
    case ':': kind = Tok::Colon; break;
    case '.': kind = Tok::Period; break;
    case ';': kind = Tok::Semicolon; break;
    case '(': kind = Tok::LeftParen; break;
    case ')': kind = Tok::RightParen; break;
    case '{': kind = Tok::LeftBrace; break;
    case '}': kind = Tok::RightBrace; break;
    case '<': kind = Tok::LessThan; break;
    case '>': kind = Tok::GreaterThan; break;
    case '*': kind = Tok::Star; break;
    case '@': kind = Tok::At; break;
    case '+': kind = Tok::Plus; break;
    case '-': kind = eatc('>') ? Tok::RArrow : Tok::Minus; break;
    case '%':
        if (pos_ < text_.size() && is_keylike_start(static_cast<unsigned char>(text_[pos_]))) {
            while (pos_ < text_.size() &&
                   is_keylike_continue(static_cast<unsigned char>(text_[pos_]))) {
                ++pos_;
            }
        }
        kind = Tok::ExplicitId;
        break;
    case '"':
        if (!lex_string(err)) return false;
        kind = Tok::StringLiteral;
        break;
    default:
        if (is_keylike_start(ch)) {
            while (pos_ < text_.size() &&
                   is_keylike_continue(static_cast<unsigned char>(text_[pos_]))) {
                ++pos_;
            }
            auto kw = keyword_token(text_.substr(start, pos_ - start));
            kind = kw ? *kw : Tok::Id;
        } else if (ch >= '0' && ch <= '9') {
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            kind = Tok::Integer;
        } else {
            size_t len;
            uint32_t cp = decode_utf8(text_, start, len);
            pos_ = start + len;
            err = {fmt::format("unexpected character {}", char_debug(cp)), span_here()};
            err.span.end = err.span.start;
            return false;
        }
    }
    out = Token{kind, span_here()};
    return true;
}

bool Tokenizer::id_name(const Token& tok, std::string& out, SyntaxError& err) const {
    std::string_view text = text_of(tok.span);
    if (tok.kind == Tok::ExplicitId) text.remove_prefix(1);
    if (auto problem = validate_id(text)) {
        err = {*problem, Span{tok.span.start, tok.span.start}};
        return false;
    }
    out.assign(text);
    return true;
}

bool Tokenizer::string_value(const Token& tok, std::string& out, SyntaxError& err) const {
    std::string_view text = text_of(tok.span);
    out.clear();
    for (size_t i = 1; i + 1 < text.size(); ++i) {
        char c = text[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        char e = text[++i];
        switch (e) {
        case '"': out.push_back('"'); break;
        case '\'': out.push_back('\''); break;
        case 't': out.push_back('\t'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case '\\': out.push_back('\\'); break;
        default:
            err = {
                fmt::format("invalid string escape {}", char_debug(static_cast<unsigned char>(e))),
                Span{tok.span.start + static_cast<uint32_t>(i),
                     tok.span.start + static_cast<uint32_t>(i)}};
            return false;
        }
    }
    return true;
}

} // namespace cirrus::wit::detail
