// Recursive-descent parser for WIT. Each function consumes one production and returns false
// with `err_` set on a syntax error; the error messages follow wit-parser's wording
// ("expected X, found Y") so tools and users see the same diagnostics.
#include "parser.h"

#include <fmt/format.h>

namespace cirrus::wit::detail {

namespace {

class Parser {
public:
    Parser(std::string_view text, uint32_t base) : tokens_(text, base) {}

    SyntaxError err_;

    bool file(AstPackageFile& out);

private:
    Tokenizer tokens_;

    // --- token helpers ---
    bool peek(std::optional<Token>& tok) {
        Tokenizer copy = tokens_;
        return copy.next(tok, err_);
    }
    bool next(std::optional<Token>& tok) { return tokens_.next(tok, err_); }
    // Consumes the next token when it is `kind`.
    bool eat(Tok kind, bool& ate) {
        Tokenizer copy = tokens_;
        std::optional<Token> tok;
        WIT_TRY(copy.next(tok, err_));
        ate = tok && tok->kind == kind;
        if (ate) tokens_ = copy;
        return true;
    }
    bool expect(Tok kind, Span* span = nullptr) {
        std::optional<Token> tok;
        WIT_TRY(next(tok));
        if (!tok) {
            return fail(tokens_.eof_span(), fmt::format("expected {}, found eof", describe(kind)));
        }
        if (tok->kind != kind) {
            return fail(Span{tok->span.start, tok->span.start},
                        fmt::format("expected {}, found {}", describe(kind), describe(tok->kind)));
        }
        if (span) *span = tok->span;
        return true;
    }
    bool expected(const char* what, const std::optional<Token>& found) {
        if (!found) return fail(tokens_.eof_span(), fmt::format("expected {}, found eof", what));
        return fail(found->span, fmt::format("expected {}, found {}", what, describe(found->kind)));
    }
    bool fail(Span span, std::string message) {
        err_ = SyntaxError{std::move(message), span};
        return false;
    }

    // --- productions ---
    bool docs(AstDocs& out);
    bool id(AstId& out);
    bool eat_id(const char* expected_name);
    bool version(Span& span, Version& out);
    bool opt_version(std::optional<Version>& out, Span& span);
    bool package_name(AstPackageName& out);
    bool attributes(AstAttributes& out);
    bool decl_list(std::vector<AstItem>& items, bool until_brace, size_t depth);
    bool item(AstItem& out, AstDocs docs, size_t depth);
    bool use_path(AstUsePath& out);
    bool toplevel_use(AstToplevelUse& out, AstAttributes attrs);
    bool use(AstUse& out, AstAttributes attrs);
    bool interface_items(std::vector<AstInterfaceItem>& out);
    bool interface_item(AstInterfaceItem& out, AstDocs docs, AstAttributes attrs);
    bool world(AstWorld& out);
    bool world_item(AstWorldItem& out);
    bool extern_kind(AstExtern& out);
    bool include(AstInclude& out, AstAttributes attrs);
    bool typedef_alias(AstTypeDef& out);
    bool typedef_record(AstTypeDef& out);
    bool typedef_flags_or_enum(AstTypeDef& out, Tok keyword);
    bool typedef_variant(AstTypeDef& out);
    bool typedef_resource(AstTypeDef& out);
    bool resource_func(AstResourceFunc& out, AstDocs docs, AstAttributes attrs);
    bool func(AstFunc& out);
    bool params(std::vector<std::pair<AstId, AstType>>& out);
    bool named_func(AstNamedFunc& out, AstDocs docs, AstAttributes attrs);
    bool type(AstType& out, size_t depth);
    bool expect_semicolon() { return expect(Tok::Semicolon); }

    // `start item (, item)* ,? end` with doc comments allowed before each item.
    template <typename F>
    bool list_trailer(Tok end, F&& parse_one) {
        for (;;) {
            AstDocs d;
            WIT_TRY(docs(d));
            bool ate;
            WIT_TRY(eat(end, ate));
            if (ate) return true;
            WIT_TRY(parse_one(std::move(d)));
            WIT_TRY(eat(Tok::Comma, ate));
            if (!ate) return expect(end);
        }
    }
    template <typename F>
    bool list(Tok start, Tok end, F&& parse_one) {
        WIT_TRY(expect(start));
        return list_trailer(end, std::forward<F>(parse_one));
    }
};

bool Parser::docs(AstDocs& out) {
    out = AstDocs{};
    for (;;) {
        Tokenizer copy = tokens_;
        std::optional<Token> tok;
        WIT_TRY(copy.next_raw(tok, err_));
        if (!tok) return true;
        if (tok->kind == Tok::Comment) {
            std::string_view text = tokens_.text_of(tok->span);
            if (!out.span.known()) out.span.start = tok->span.start;
            size_t trailing = 0;
            while (trailing < text.size() &&
                   std::isspace(static_cast<unsigned char>(text[text.size() - 1 - trailing]))) {
                ++trailing;
            }
            out.span.end = tok->span.end - static_cast<uint32_t>(trailing);
            // Every comment before an item is kept as its documentation, as wit-parser does.
            out.comments.emplace_back(text);
        } else if (tok->kind != Tok::Whitespace) {
            return true;
        }
        tokens_ = copy;
    }
}

bool Parser::id(AstId& out) {
    std::optional<Token> tok;
    WIT_TRY(next(tok));
    if (tok && (tok->kind == Tok::Id || tok->kind == Tok::ExplicitId)) {
        out.span = tok->span;
        return tokens_.id_name(*tok, out.name, err_);
    }
    return expected("an identifier or string", tok);
}

bool Parser::eat_id(const char* expected_name) {
    AstId name;
    WIT_TRY(id(name));
    if (name.name != expected_name) {
        return fail(name.span, fmt::format("expected `{}`, found `{}`", expected_name, name.name));
    }
    return true;
}

bool Parser::version(Span& span, Version& out) {
    Span a, b;
    WIT_TRY(expect(Tok::Integer, &a));
    WIT_TRY(expect(Tok::Period));
    WIT_TRY(expect(Tok::Integer));
    WIT_TRY(expect(Tok::Period));
    WIT_TRY(expect(Tok::Integer, &b));
    span = Span{a.start, b.end};
    // Pre-release (`-...`) and build (`+...`) parts: identifiers, integers and '-' joined by '.'.
    for (Tok prefix : {Tok::Minus, Tok::Plus}) {
        bool ate;
        WIT_TRY(eat(prefix, ate));
        if (!ate) continue;
        for (;;) {
            Tokenizer copy = tokens_;
            std::optional<Token> tok;
            WIT_TRY(copy.next(tok, err_));
            auto part = [](const std::optional<Token>& t) {
                return t &&
                       (t->kind == Tok::Id || t->kind == Tok::Integer || t->kind == Tok::Minus);
            };
            if (part(tok)) {
                span.end = tok->span.end;
                tokens_ = copy;
                continue;
            }
            if (tok && tok->kind == Tok::Period) {
                WIT_TRY(copy.next(tok, err_));
                if (part(tok)) {
                    span.end = tok->span.end;
                    tokens_ = copy;
                    continue;
                }
            }
            break;
        }
    }
    std::string problem;
    auto parsed = Version::parse(tokens_.text_of(span), &problem);
    if (!parsed) return fail(span, problem);
    out = *parsed;
    return true;
}

bool Parser::opt_version(std::optional<Version>& out, Span& span) {
    bool ate;
    WIT_TRY(eat(Tok::At, ate));
    if (!ate) return true;
    Version v;
    WIT_TRY(version(span, v));
    out = v;
    return true;
}

bool Parser::package_name(AstPackageName& out) {
    AstId ns, name;
    WIT_TRY(id(ns));
    WIT_TRY(expect(Tok::Colon));
    WIT_TRY(id(name));
    Span vspan;
    WIT_TRY(opt_version(out.name.version, vspan));
    out.name.ns = ns.name;
    out.name.name = name.name;
    out.span = Span{ns.span.start, out.name.version ? vspan.end : name.span.end};
    return true;
}

bool Parser::attributes(AstAttributes& out) {
    for (;;) {
        bool ate;
        WIT_TRY(eat(Tok::At, ate));
        if (!ate) return true;
        AstId name;
        WIT_TRY(id(name));
        AstAttribute attr;
        attr.span = name.span;
        if (name.name == "since" || name.name == "deprecated") {
            attr.kind =
                name.name == "since" ? AstAttribute::Kind::Since : AstAttribute::Kind::Deprecated;
            WIT_TRY(expect(Tok::LeftParen));
            WIT_TRY(eat_id("version"));
            WIT_TRY(expect(Tok::Equals));
            Span vspan;
            WIT_TRY(version(vspan, attr.version));
            WIT_TRY(expect(Tok::RightParen));
        } else if (name.name == "unstable") {
            attr.kind = AstAttribute::Kind::Unstable;
            WIT_TRY(expect(Tok::LeftParen));
            WIT_TRY(eat_id("feature"));
            WIT_TRY(expect(Tok::Equals));
            AstId feature;
            WIT_TRY(id(feature));
            attr.feature = feature.name;
            WIT_TRY(expect(Tok::RightParen));
        } else if (name.name == "external-id") {
            attr.kind = AstAttribute::Kind::ExternalId;
            WIT_TRY(expect(Tok::LeftParen));
            std::optional<Token> tok;
            WIT_TRY(next(tok));
            if (!tok || tok->kind != Tok::StringLiteral) return expected("a string literal", tok);
            WIT_TRY(tokens_.string_value(*tok, attr.feature, err_));
            WIT_TRY(expect(Tok::RightParen));
        } else {
            return fail(name.span, fmt::format("unknown attribute `{}`", name.name));
        }
        out.push_back(std::move(attr));
    }
}

bool Parser::file(AstPackageFile& out) {
    if (auto bad = tokens_.validate()) {
        err_ = *bad;
        return false;
    }
    // A leading `package a:b;` names the file's package; `package a:b {` starts a nested one.
    Tokenizer saved = tokens_;
    AstDocs d;
    WIT_TRY(docs(d));
    bool ate;
    WIT_TRY(eat(Tok::Package, ate));
    bool have_header = false;
    if (ate) {
        AstPackageName name;
        name.docs = d;
        WIT_TRY(package_name(name));
        WIT_TRY(eat(Tok::Semicolon, ate));
        if (ate) {
            out.package_id = std::move(name);
            have_header = true;
        }
    }
    if (!have_header) tokens_ = saved;
    return decl_list(out.items, false, 0);
}

bool Parser::decl_list(std::vector<AstItem>& items, bool until_brace, size_t depth) {
    AstDocs d;
    WIT_TRY(docs(d));
    for (;;) {
        if (until_brace) {
            bool ate;
            WIT_TRY(eat(Tok::RightBrace, ate));
            if (ate) return true;
        } else {
            std::optional<Token> tok;
            WIT_TRY(peek(tok));
            if (!tok) return true;
        }
        items.emplace_back();
        WIT_TRY(item(items.back(), std::move(d), depth));
        WIT_TRY(docs(d));
    }
}

bool Parser::item(AstItem& out, AstDocs d, size_t depth) {
    AstAttributes attrs;
    WIT_TRY(attributes(attrs));
    std::optional<Token> tok;
    WIT_TRY(peek(tok));
    Tok kind = tok ? tok->kind : Tok::Whitespace;
    if (tok && kind == Tok::Interface) {
        out.kind = AstItem::Kind::Interface;
        out.interface.docs = std::move(d);
        out.interface.attributes = std::move(attrs);
        WIT_TRY(expect(Tok::Interface));
        WIT_TRY(id(out.interface.name));
        return interface_items(out.interface.items);
    }
    if (tok && kind == Tok::World) {
        out.kind = AstItem::Kind::World;
        out.world.docs = std::move(d);
        out.world.attributes = std::move(attrs);
        return world(out.world);
    }
    if (tok && kind == Tok::Use) {
        out.kind = AstItem::Kind::Use;
        return toplevel_use(out.use, std::move(attrs));
    }
    if (tok && kind == Tok::Package) {
        out.kind = AstItem::Kind::Package;
        Span span;
        WIT_TRY(expect(Tok::Package, &span));
        if (!attrs.empty()) return fail(span, "cannot place attributes on nested packages");
        if (depth >= kMaxPackageDepth) return fail(span, "package nesting too deep");
        out.package = std::make_unique<AstPackageFile>();
        AstPackageName name;
        name.docs = std::move(d);
        WIT_TRY(package_name(name));
        out.package->package_id = std::move(name);
        WIT_TRY(expect(Tok::LeftBrace));
        return decl_list(out.package->items, true, depth + 1);
    }
    return expected("`world`, `interface` or `use`", tok);
}

bool Parser::use_path(AstUsePath& out) {
    AstId first;
    WIT_TRY(id(first));
    bool ate;
    WIT_TRY(eat(Tok::Colon, ate));
    if (!ate) {
        out.name = std::move(first);
        return true;
    }
    AstId pkg;
    WIT_TRY(id(pkg));
    WIT_TRY(expect(Tok::Slash));
    WIT_TRY(id(out.name));
    AstPackageName name;
    Span vspan;
    WIT_TRY(opt_version(name.name.version, vspan));
    name.name.ns = first.name;
    name.name.name = pkg.name;
    name.span = Span{first.span.start, pkg.span.end};
    out.package = std::move(name);
    return true;
}

bool Parser::toplevel_use(AstToplevelUse& out, AstAttributes attrs) {
    out.attributes = std::move(attrs);
    WIT_TRY(expect(Tok::Use, &out.span));
    WIT_TRY(use_path(out.item));
    bool ate;
    WIT_TRY(eat(Tok::As, ate));
    if (ate) {
        out.as.emplace();
        WIT_TRY(id(*out.as));
    }
    return expect_semicolon();
}

bool Parser::use(AstUse& out, AstAttributes attrs) {
    out.attributes = std::move(attrs);
    WIT_TRY(expect(Tok::Use));
    WIT_TRY(use_path(out.from));
    WIT_TRY(expect(Tok::Period));
    WIT_TRY(expect(Tok::LeftBrace));
    for (;;) {
        bool ate;
        WIT_TRY(eat(Tok::RightBrace, ate));
        if (ate) break;
        AstUseName name;
        WIT_TRY(id(name.name));
        WIT_TRY(eat(Tok::As, ate));
        if (ate) {
            name.as.emplace();
            WIT_TRY(id(*name.as));
        }
        out.names.push_back(std::move(name));
        WIT_TRY(eat(Tok::Comma, ate));
        if (!ate) {
            WIT_TRY(expect(Tok::RightBrace));
            break;
        }
    }
    return expect_semicolon();
}

bool Parser::interface_items(std::vector<AstInterfaceItem>& out) {
    WIT_TRY(expect(Tok::LeftBrace));
    for (;;) {
        AstDocs d;
        WIT_TRY(docs(d));
        bool ate;
        WIT_TRY(eat(Tok::RightBrace, ate));
        if (ate) return true;
        AstAttributes attrs;
        WIT_TRY(attributes(attrs));
        out.emplace_back();
        WIT_TRY(interface_item(out.back(), std::move(d), std::move(attrs)));
    }
}

bool Parser::interface_item(AstInterfaceItem& out, AstDocs d, AstAttributes attrs) {
    std::optional<Token> tok;
    WIT_TRY(peek(tok));
    Tok kind = tok ? tok->kind : Tok::Whitespace;
    if (tok && (kind == Tok::Id || kind == Tok::ExplicitId)) {
        out.kind = AstInterfaceItem::Kind::Func;
        return named_func(out.func, std::move(d), std::move(attrs));
    }
    if (tok && kind == Tok::Use) {
        out.kind = AstInterfaceItem::Kind::Use;
        return use(out.use, std::move(attrs));
    }
    out.kind = AstInterfaceItem::Kind::TypeDef;
    out.type.docs = std::move(d);
    out.type.attributes = std::move(attrs);
    if (tok) {
        switch (kind) {
        case Tok::Type: return typedef_alias(out.type);
        case Tok::Flags: return typedef_flags_or_enum(out.type, Tok::Flags);
        case Tok::Enum: return typedef_flags_or_enum(out.type, Tok::Enum);
        case Tok::Variant: return typedef_variant(out.type);
        case Tok::Resource: return typedef_resource(out.type);
        case Tok::Record: return typedef_record(out.type);
        default: break;
        }
    }
    return expected("`type`, `resource` or `func`", tok);
}

bool Parser::world(AstWorld& out) {
    WIT_TRY(expect(Tok::World));
    WIT_TRY(id(out.name));
    WIT_TRY(expect(Tok::LeftBrace));
    for (;;) {
        AstDocs d;
        WIT_TRY(docs(d));
        bool ate;
        WIT_TRY(eat(Tok::RightBrace, ate));
        if (ate) return true;
        out.items.emplace_back();
        AstWorldItem& item = out.items.back();
        item.docs = std::move(d);
        WIT_TRY(attributes(item.attributes));
        WIT_TRY(world_item(item));
    }
}

bool Parser::world_item(AstWorldItem& out) {
    std::optional<Token> tok;
    WIT_TRY(peek(tok));
    Tok kind = tok ? tok->kind : Tok::Whitespace;
    if (tok) {
        switch (kind) {
        case Tok::Import:
        case Tok::Export:
            out.kind =
                kind == Tok::Import ? AstWorldItem::Kind::Import : AstWorldItem::Kind::Export;
            WIT_TRY(next(tok));
            return extern_kind(out.ext);
        case Tok::Use: out.kind = AstWorldItem::Kind::Use; return use(out.use, out.attributes);
        case Tok::Include:
            out.kind = AstWorldItem::Kind::Include;
            return include(out.include, out.attributes);
        case Tok::Type:
        case Tok::Flags:
        case Tok::Enum:
        case Tok::Variant:
        case Tok::Resource:
        case Tok::Record:
            out.kind = AstWorldItem::Kind::Type;
            out.type.docs = out.docs;
            out.type.attributes = out.attributes;
            if (kind == Tok::Type) return typedef_alias(out.type);
            if (kind == Tok::Flags || kind == Tok::Enum) {
                return typedef_flags_or_enum(out.type, kind);
            }
            if (kind == Tok::Variant) return typedef_variant(out.type);
            if (kind == Tok::Resource) return typedef_resource(out.type);
            return typedef_record(out.type);
        default: break;
        }
    }
    return expected("`import`, `export`, `include`, `use`, or type definition", tok);
}

bool Parser::extern_kind(AstExtern& out) {
    // `name: func`, `name: interface {`, `label: path`, else a path.
    Tokenizer saved = tokens_;
    AstId name;
    WIT_TRY(id(name));
    bool ate;
    WIT_TRY(eat(Tok::Colon, ate));
    if (ate) {
        std::optional<Token> tok;
        WIT_TRY(peek(tok));
        if (tok && (tok->kind == Tok::Func || tok->kind == Tok::Async)) {
            out.kind = AstExtern::Kind::Func;
            out.id = std::move(name);
            WIT_TRY(func(out.func));
            return expect_semicolon();
        }
        if (tok && tok->kind == Tok::Interface) {
            WIT_TRY(next(tok));
            out.kind = AstExtern::Kind::Interface;
            out.id = std::move(name);
            return interface_items(out.items);
        }
        // `ns:pkg/iface` is a qualified path, anything else after `label:` a named path.
        Tokenizer probe = tokens_;
        SyntaxError ignored;
        std::optional<Token> a, b;
        bool qualified = probe.next(a, ignored) && a &&
                         (a->kind == Tok::Id || a->kind == Tok::ExplicitId) &&
                         probe.next(b, ignored) && b && b->kind == Tok::Slash;
        if (!qualified) {
            out.kind = AstExtern::Kind::NamedPath;
            out.id = std::move(name);
            WIT_TRY(use_path(out.path));
            return expect_semicolon();
        }
    }
    tokens_ = saved;
    out.kind = AstExtern::Kind::Path;
    WIT_TRY(use_path(out.path));
    return expect_semicolon();
}

bool Parser::include(AstInclude& out, AstAttributes attrs) {
    out.attributes = std::move(attrs);
    WIT_TRY(expect(Tok::Include));
    WIT_TRY(use_path(out.from));
    bool ate;
    WIT_TRY(eat(Tok::With, ate));
    if (!ate) return expect_semicolon();
    return list(Tok::LeftBrace, Tok::RightBrace, [&](AstDocs) {
        AstId name, as;
        WIT_TRY(id(name));
        WIT_TRY(expect(Tok::As));
        WIT_TRY(id(as));
        out.names.emplace_back(std::move(name), std::move(as));
        return true;
    });
}

bool Parser::typedef_alias(AstTypeDef& out) {
    out.kind = AstTypeDef::Kind::Alias;
    WIT_TRY(expect(Tok::Type));
    WIT_TRY(id(out.name));
    WIT_TRY(expect(Tok::Equals));
    WIT_TRY(type(out.alias, 0));
    return expect_semicolon();
}

bool Parser::typedef_record(AstTypeDef& out) {
    out.kind = AstTypeDef::Kind::Record;
    WIT_TRY(expect(Tok::Record));
    WIT_TRY(id(out.name));
    return list(Tok::LeftBrace, Tok::RightBrace, [&](AstDocs d) {
        AstField field;
        field.docs = std::move(d);
        WIT_TRY(id(field.name));
        WIT_TRY(expect(Tok::Colon));
        WIT_TRY(type(field.type, 0));
        out.fields.push_back(std::move(field));
        return true;
    });
}

bool Parser::typedef_flags_or_enum(AstTypeDef& out, Tok keyword) {
    out.kind = keyword == Tok::Flags ? AstTypeDef::Kind::Flags : AstTypeDef::Kind::Enum;
    WIT_TRY(expect(keyword));
    WIT_TRY(id(out.name));
    return list(Tok::LeftBrace, Tok::RightBrace, [&](AstDocs d) {
        AstCase c;
        c.docs = std::move(d);
        WIT_TRY(id(c.name));
        out.cases.push_back(std::move(c));
        return true;
    });
}

bool Parser::typedef_variant(AstTypeDef& out) {
    out.kind = AstTypeDef::Kind::Variant;
    WIT_TRY(expect(Tok::Variant));
    WIT_TRY(id(out.name));
    return list(Tok::LeftBrace, Tok::RightBrace, [&](AstDocs d) {
        AstCase c;
        c.docs = std::move(d);
        WIT_TRY(id(c.name));
        bool ate;
        WIT_TRY(eat(Tok::LeftParen, ate));
        if (ate) {
            c.type.emplace();
            WIT_TRY(type(*c.type, 0));
            WIT_TRY(expect(Tok::RightParen));
        }
        out.cases.push_back(std::move(c));
        return true;
    });
}

bool Parser::typedef_resource(AstTypeDef& out) {
    out.kind = AstTypeDef::Kind::Resource;
    WIT_TRY(expect(Tok::Resource));
    WIT_TRY(id(out.name));
    bool ate;
    WIT_TRY(eat(Tok::LeftBrace, ate));
    if (!ate) return expect_semicolon();
    for (;;) {
        WIT_TRY(eat(Tok::RightBrace, ate));
        if (ate) return true;
        AstDocs d;
        WIT_TRY(docs(d));
        AstAttributes attrs;
        WIT_TRY(attributes(attrs));
        out.funcs.emplace_back();
        WIT_TRY(resource_func(out.funcs.back(), std::move(d), std::move(attrs)));
    }
}

bool Parser::resource_func(AstResourceFunc& out, AstDocs d, AstAttributes attrs) {
    std::optional<Token> tok;
    WIT_TRY(peek(tok));
    out.func.docs = std::move(d);
    out.func.attributes = std::move(attrs);
    if (tok && tok->kind == Tok::Constructor) {
        WIT_TRY(next(tok));
        out.kind = AstResourceFunc::Kind::Constructor;
        out.func.name = AstId{"constructor", tok->span};
        out.func.func.span = tok->span;
        WIT_TRY(expect(Tok::LeftParen));
        WIT_TRY(params(out.func.func.params));
        bool ate;
        WIT_TRY(eat(Tok::RArrow, ate));
        if (ate) {
            out.func.func.result.emplace();
            WIT_TRY(type(*out.func.func.result, 0));
        }
        return expect_semicolon();
    }
    if (tok && (tok->kind == Tok::Id || tok->kind == Tok::ExplicitId)) {
        WIT_TRY(id(out.func.name));
        WIT_TRY(expect(Tok::Colon));
        bool ate;
        WIT_TRY(eat(Tok::Static, ate));
        out.kind = ate ? AstResourceFunc::Kind::Static : AstResourceFunc::Kind::Method;
        WIT_TRY(func(out.func.func));
        return expect_semicolon();
    }
    return expected("`constructor` or identifier", tok);
}

bool Parser::params(std::vector<std::pair<AstId, AstType>>& out) {
    return list_trailer(Tok::RightParen, [&](AstDocs) {
        AstId name;
        WIT_TRY(id(name));
        WIT_TRY(expect(Tok::Colon));
        AstType ty;
        WIT_TRY(type(ty, 0));
        out.emplace_back(std::move(name), std::move(ty));
        return true;
    });
}

bool Parser::func(AstFunc& out) {
    WIT_TRY(eat(Tok::Async, out.is_async));
    WIT_TRY(expect(Tok::Func, &out.span));
    WIT_TRY(expect(Tok::LeftParen));
    WIT_TRY(params(out.params));
    bool ate;
    WIT_TRY(eat(Tok::RArrow, ate));
    if (ate) {
        out.result.emplace();
        WIT_TRY(type(*out.result, 0));
    }
    return true;
}

bool Parser::named_func(AstNamedFunc& out, AstDocs d, AstAttributes attrs) {
    out.docs = std::move(d);
    out.attributes = std::move(attrs);
    WIT_TRY(id(out.name));
    WIT_TRY(expect(Tok::Colon));
    WIT_TRY(func(out.func));
    return expect_semicolon();
}

bool Parser::type(AstType& out, size_t depth) {
    std::optional<Token> tok;
    WIT_TRY(next(tok));
    if (depth >= kMaxTypeDepth) {
        return fail(tok ? tok->span : tokens_.eof_span(), "type nesting too deep");
    }
    if (!tok) return expected("a type", tok);
    out.span = tok->span;
    auto prim = [&](Primitive p) {
        out.kind = AstType::Kind::Primitive;
        out.primitive = p;
        return true;
    };
    auto one_arg = [&](AstType::Kind kind) {
        out.kind = kind;
        WIT_TRY(expect(Tok::LessThan));
        out.args.emplace_back();
        WIT_TRY(type(out.args.back(), depth + 1));
        return expect(Tok::GreaterThan);
    };
    switch (tok->kind) {
    case Tok::U8: return prim(Primitive::U8);
    case Tok::U16: return prim(Primitive::U16);
    case Tok::U32: return prim(Primitive::U32);
    case Tok::U64: return prim(Primitive::U64);
    case Tok::S8: return prim(Primitive::S8);
    case Tok::S16: return prim(Primitive::S16);
    case Tok::S32: return prim(Primitive::S32);
    case Tok::S64: return prim(Primitive::S64);
    case Tok::F32: return prim(Primitive::F32);
    case Tok::F64: return prim(Primitive::F64);
    case Tok::Char: return prim(Primitive::Char);
    case Tok::Bool: return prim(Primitive::Bool);
    case Tok::String: return prim(Primitive::String);
    case Tok::ErrorContext: return prim(Primitive::ErrorContext);
    case Tok::Tuple:
        out.kind = AstType::Kind::Tuple;
        return list(Tok::LessThan, Tok::GreaterThan, [&](AstDocs) {
            out.args.emplace_back();
            return type(out.args.back(), depth + 1);
        });
    case Tok::List: {
        out.kind = AstType::Kind::List;
        WIT_TRY(expect(Tok::LessThan));
        out.args.emplace_back();
        WIT_TRY(type(out.args.back(), depth + 1));
        bool ate;
        WIT_TRY(eat(Tok::Comma, ate));
        if (ate) {
            std::optional<Token> n;
            WIT_TRY(next(n));
            if (!n || n->kind != Tok::Integer) return expected("fixed-length", n);
            std::string_view digits = tokens_.text_of(n->span);
            uint64_t value = 0;
            for (char c : digits) {
                value = value * 10 + static_cast<uint64_t>(c - '0');
                if (value > UINT32_MAX) {
                    return fail(n->span,
                                "invalid list size: number too large to fit in target type");
                }
            }
            out.kind = AstType::Kind::FixedList;
            out.size = static_cast<uint32_t>(value);
        }
        return expect(Tok::GreaterThan);
    }
    case Tok::Map:
        out.kind = AstType::Kind::Map;
        WIT_TRY(expect(Tok::LessThan));
        out.args.resize(2);
        WIT_TRY(type(out.args[0], depth + 1));
        WIT_TRY(expect(Tok::Comma));
        WIT_TRY(type(out.args[1], depth + 1));
        return expect(Tok::GreaterThan);
    case Tok::Option: return one_arg(AstType::Kind::Option);
    case Tok::Result: {
        out.kind = AstType::Kind::Result;
        bool ate;
        WIT_TRY(eat(Tok::LessThan, ate));
        if (!ate) return true;
        WIT_TRY(eat(Tok::Underscore, ate));
        if (ate) {
            WIT_TRY(expect(Tok::Comma));
            out.has_err = true;
            out.args.emplace_back();
            WIT_TRY(type(out.args.back(), depth + 1));
        } else {
            out.has_ok = true;
            out.args.emplace_back();
            WIT_TRY(type(out.args.back(), depth + 1));
            WIT_TRY(eat(Tok::Comma, ate));
            if (ate) {
                out.has_err = true;
                out.args.emplace_back();
                WIT_TRY(type(out.args.back(), depth + 1));
            }
        }
        return expect(Tok::GreaterThan);
    }
    case Tok::Future:
    case Tok::Stream: {
        out.kind = tok->kind == Tok::Future ? AstType::Kind::Future : AstType::Kind::Stream;
        bool ate;
        WIT_TRY(eat(Tok::LessThan, ate));
        if (!ate) return true;
        out.has_ok = true;
        out.args.emplace_back();
        WIT_TRY(type(out.args.back(), depth + 1));
        return expect(Tok::GreaterThan);
    }
    case Tok::Own:
    case Tok::Borrow:
        out.kind = tok->kind == Tok::Own ? AstType::Kind::Own : AstType::Kind::Borrow;
        WIT_TRY(expect(Tok::LessThan));
        WIT_TRY(id(out.name));
        out.span = out.name.span;
        return expect(Tok::GreaterThan);
    case Tok::Id:
    case Tok::ExplicitId:
        out.kind = AstType::Kind::Name;
        out.name.span = tok->span;
        return tokens_.id_name(*tok, out.name.name, err_);
    default: return expected("a type", tok);
    }
}

} // namespace

bool parse_package_file(std::string_view text, uint32_t base, AstPackageFile& out,
                        SyntaxError& err) {
    Parser parser(text, base);
    if (!parser.file(out)) {
        err = std::move(parser.err_);
        return false;
    }
    return true;
}

Docs docs_from_ast(const AstDocs& docs) {
    std::vector<std::string> lines;
    for (const std::string& comment : docs.comments) {
        std::string_view text = comment;
        if (text.substr(0, 3) == "/**") {
            text.remove_prefix(3);
            if (text.size() >= 2 && text.substr(text.size() - 2) == "*/") {
                text.remove_suffix(2);
            }
        } else {
            while (!text.empty() && text.front() == '/') text.remove_prefix(1);
        }
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
            text.remove_suffix(1);
        }
        lines.emplace_back(text);
    }
    size_t min_ws = SIZE_MAX;
    for (const std::string& line : lines) {
        if (line.empty()) continue;
        size_t ws = 0;
        while (ws < line.size() && std::isspace(static_cast<unsigned char>(line[ws]))) ++ws;
        min_ws = std::min(min_ws, ws);
    }
    if (min_ws == SIZE_MAX) min_ws = 0;
    Docs out;
    if (lines.empty()) return out;
    std::string contents;
    std::string prefix(min_ws, ' ');
    for (std::string& line : lines) {
        if (min_ws > 0 && line.compare(0, min_ws, prefix) == 0) line.erase(0, min_ws);
        if (line.empty()) {
            contents += '\n';
            continue;
        }
        size_t start = 0;
        while (start <= line.size()) {
            size_t nl = line.find('\n', start);
            std::string_view piece = std::string_view(line).substr(
                start, nl == std::string::npos ? std::string::npos : nl - start);
            if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
            contents.append(piece);
            contents += '\n';
            if (nl == std::string::npos) break;
            start = nl + 1;
            if (start == line.size()) break;
        }
    }
    while (!contents.empty() && contents.back() == '\n') contents.pop_back();
    out.contents = std::move(contents);
    return out;
}

} // namespace cirrus::wit::detail
