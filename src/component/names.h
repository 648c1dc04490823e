// The lexical rules of component import and export names, used by the decoder.
#pragma once

#include <string>
#include <string_view>

namespace cirrus::component::detail {

std::string lower_ascii(std::string_view s);
// label ::= first-fragment ('-' fragment)*: kebab case (a leading `%` is allowed and ignored).
bool valid_label(std::string_view s);
// words ::= first-word ('-' word)*: the namespace and package of an interface name.
bool valid_words(std::string_view s);
// A Semantic Versioning 2.0 version.
bool valid_semver(std::string_view v);
// A plain name (label, `[constructor]r`, `[method]r.f`, `[static]r.f`) or an interface name
// `namespace:package/interface@version`.
bool valid_extern_name(std::string_view s);
// A name as the strong-uniqueness rule compares it.
std::string canonical_name(std::string_view name);

} // namespace cirrus::component::detail
