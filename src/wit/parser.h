// The WIT parser: one source file's tokens to a PackageFile (ast.h), following the grammar in
// component-model design/mvp/WIT.md. Nesting of types and packages is bounded so hostile input
// gives an error instead of exhausting the stack.
#pragma once

#include "ast.h"
#include "lexer.h"

namespace cirrus::wit::detail {

constexpr size_t kMaxTypeDepth = 100;
constexpr size_t kMaxPackageDepth = 100;

// Parses `text` (global offset `base`) into `out`; on failure fills `err`.
bool parse_package_file(std::string_view text, uint32_t base, AstPackageFile& out,
                        SyntaxError& err);

// Doc comment lines to the text kept in Docs (comment markers and common indent removed).
Docs docs_from_ast(const AstDocs& docs);

} // namespace cirrus::wit::detail
