// The lexical rules of component import and export names (Explainer "Import and Export
// Definitions", "Name Uniqueness").
#include "names.h"

#include <algorithm>

namespace cirrus::component::detail {

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// label ::= first-fragment ('-' fragment)* (Explainer "Import and Export Definitions"): the
// first fragment starts with a letter; each fragment is all lower case or all upper case, digits
// allowed anywhere after that.
bool valid_label(std::string_view s) {
    if (!s.empty() && s[0] == '%') s.remove_prefix(1);
    if (s.empty()) return false;
    bool first = true;
    size_t i = 0;
    while (true) {
        size_t start = i;
        bool lower = false, upper = false;
        while (i < s.size() && s[i] != '-') {
            char c = s[i];
            if (c >= 'a' && c <= 'z') {
                lower = true;
            } else if (c >= 'A' && c <= 'Z') {
                upper = true;
            } else if (!(c >= '0' && c <= '9')) {
                return false;
            }
            ++i;
        }
        if (i == start || (lower && upper)) return false;
        if (first &&
            !((s[start] >= 'a' && s[start] <= 'z') || (s[start] >= 'A' && s[start] <= 'Z')))
            return false;
        first = false;
        if (i == s.size()) return true;
        ++i; // '-'
    }
}

// words ::= first-word ('-' word)*: lower-case letters and digits, starting with a letter (the
// namespace and package of an interface name).
bool valid_words(std::string_view s) {
    if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    bool fragment_empty = false;
    for (char c : s) {
        if (c == '-') {
            if (fragment_empty) return false;
            fragment_empty = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            fragment_empty = false;
        } else {
            return false;
        }
    }
    return !fragment_empty;
}

// A Semantic Versioning 2.0 version: MAJOR.MINOR.PATCH, numbers without leading zeros, then an
// optional `-pre.release` and `+build`, dot-separated non-empty identifiers of [0-9A-Za-z-]
// (numeric pre-release identifiers without leading zeros).
bool valid_semver(std::string_view v) {
    auto number = [](std::string_view n) {
        if (n.empty() || n.size() > 20) return false;
        if (n.size() > 1 && n[0] == '0') return false;
        return std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    auto identifiers = [](std::string_view ids, bool pre) {
        size_t start = 0;
        while (true) {
            size_t dot = ids.find('.', start);
            std::string_view id = ids.substr(start, dot - start);
            if (id.empty()) return false;
            bool numeric = true;
            for (char c : id) {
                bool digit = c >= '0' && c <= '9';
                if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-')
                    return false;
                numeric = numeric && digit;
            }
            if (pre && numeric && id.size() > 1 && id[0] == '0') return false;
            if (dot == std::string_view::npos) return true;
            start = dot + 1;
        }
    };
    size_t plus = v.find('+');
    if (plus != std::string_view::npos) {
        if (!identifiers(v.substr(plus + 1), false)) return false;
        v = v.substr(0, plus);
    }
    size_t dash = v.find('-');
    if (dash != std::string_view::npos) {
        if (!identifiers(v.substr(dash + 1), true)) return false;
        v = v.substr(0, dash);
    }
    size_t d1 = v.find('.');
    if (d1 == std::string_view::npos) return false;
    size_t d2 = v.find('.', d1 + 1);
    if (d2 == std::string_view::npos) return false;
    return number(v.substr(0, d1)) && number(v.substr(d1 + 1, d2 - d1 - 1)) &&
           number(v.substr(d2 + 1));
}

// An extern name: a kebab label, `[constructor]r`, `[method]r.f`, `[static]r.f`, or an
// interface name `namespace:package/interface@version` (namespace and package are `words`, the
// interface a label, the version optional; nested namespaces and projections are future syntax
// and not accepted).
bool valid_extern_name(std::string_view s) {
    if (s.find(':') != std::string_view::npos) {
        size_t colon = s.find(':');
        size_t slash = s.find('/', colon);
        if (slash == std::string_view::npos) return false;
        std::string_view pkg = s.substr(colon + 1, slash - colon - 1);
        if (!valid_words(s.substr(0, colon)) || !valid_words(pkg)) return false;
        std::string_view rest = s.substr(slash + 1);
        size_t at = rest.find('@');
        std::string_view iface = rest.substr(0, at);
        if (iface.starts_with('%') || !valid_label(iface)) return false;
        return at == std::string_view::npos || valid_semver(rest.substr(at + 1));
    }
    for (std::string_view prefix : {"[constructor]", "[method]", "[static]"}) {
        if (s.starts_with(prefix)) {
            std::string_view rest = s.substr(prefix.size());
            if (prefix == "[constructor]") return valid_label(rest);
            size_t dot = rest.find('.');
            if (dot == std::string_view::npos) return false;
            return valid_label(rest.substr(0, dot)) && valid_label(rest.substr(dot + 1));
        }
    }
    return valid_label(s);
}

// A name as the strong-uniqueness rule compares it (Explainer "Name Uniqueness"): lower case,
// `[method]l.l` and `[static]l.l` become `l`, and any annotation but `[constructor]` is dropped.
std::string canonical_name(std::string_view name) {
    std::string n = lower_ascii(name);
    for (std::string_view prefix : {"[method]", "[static]"}) {
        if (!std::string_view(n).starts_with(prefix)) continue;
        std::string rest = n.substr(prefix.size());
        size_t dot = rest.find('.');
        if (dot != std::string::npos && rest.substr(0, dot) == rest.substr(dot + 1))
            return rest.substr(0, dot);
        return rest;
    }
    return n;
}

} // namespace cirrus::component::detail
