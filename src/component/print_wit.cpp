// A component's type printed as WIT: a world with its imports and exports; instances named by
// an interface name (`ns:pkg/iface`) become interfaces in nested `package ns:pkg { ... }`
// blocks, as `wasm-tools component wit` shows them.
#include "cirrus/component/component.h"
#include "component_data.h"

#include <fmt/format.h>

#include <map>

namespace cirrus::component {

namespace {

std::string indent(int n) {
    return std::string(static_cast<size_t>(n) * 2, ' ');
}

std::string type_definition(const std::string& name, const ValType* t, int ind) {
    std::string pad = indent(ind), out;
    switch (t->kind) {
    case TypeKind::Record:
        out = fmt::format("{}record {} {{\n", pad, name);
        for (const auto& f : t->fields)
            out += fmt::format("{}{}: {},\n", indent(ind + 1), f.name, wit_type(f.type));
        return out + pad + "}\n";
    case TypeKind::Variant:
        out = fmt::format("{}variant {} {{\n", pad, name);
        for (const auto& c : t->cases) {
            out += indent(ind + 1) + c.name;
            if (c.type) out += fmt::format("({})", wit_type(c.type));
            out += ",\n";
        }
        return out + pad + "}\n";
    case TypeKind::Enum:
    case TypeKind::Flags:
        out = fmt::format("{}{} {} {{\n", pad, t->kind == TypeKind::Enum ? "enum" : "flags", name);
        for (const auto& l : t->labels) out += fmt::format("{}{},\n", indent(ind + 1), l);
        return out + pad + "}\n";
    default: {
        ValType anon = *t;
        anon.name.clear();
        return fmt::format("{}type {} = {};\n", pad, name, wit_type(&anon));
    }
    }
}

std::string func_line(const std::string& name, const FuncType& ft, int ind) {
    return fmt::format("{}{}: {};\n", indent(ind), name, wit_func(ft));
}

// Body of an interface (or inline instance): types, resources with their functions, functions.
std::string instance_body(const InstanceType& it, int ind) {
    std::string out;
    std::map<std::string, std::string> resource_body;
    for (const auto& [name, et] : it.exports) {
        if (et.sort != Sort::Func) continue;
        std::string_view n = name;
        std::string res, item;
        FuncType ft = *et.func;
        if (n.starts_with("[constructor]")) {
            res = std::string(n.substr(13));
            std::string s = indent(ind + 1) + "constructor(";
            for (size_t i = 0; i < ft.params.size(); ++i) {
                if (i) s += ", ";
                s += fmt::format("{}: {}", ft.params[i].first, wit_type(ft.params[i].second));
            }
            s += ");\n";
            resource_body[res] += s;
            continue;
        }
        bool method = n.starts_with("[method]"), stat = n.starts_with("[static]");
        if (method || stat) {
            std::string_view rest = n.substr(8);
            size_t dot = rest.find('.');
            res = std::string(rest.substr(0, dot));
            item = std::string(rest.substr(dot + 1));
            if (method && !ft.params.empty()) ft.params.erase(ft.params.begin());
            std::string line = func_line(item, ft, ind + 1);
            if (stat) line.insert(line.find(": func") + 2, "static ");
            resource_body[res] += line;
        }
    }
    for (const auto& [name, et] : it.exports) {
        if (et.sort == Sort::Type) {
            if (et.resource) {
                auto body = resource_body.find(name);
                if (body == resource_body.end()) {
                    out += fmt::format("{}resource {};\n", indent(ind), name);
                } else {
                    out += fmt::format("{}resource {} {{\n{}{}}}\n", indent(ind), name,
                                       body->second, indent(ind));
                }
            } else if (et.value_type) {
                out += type_definition(name, et.value_type, ind);
            }
        } else if (et.sort == Sort::Func) {
            if (name.starts_with("[")) continue;
            out += func_line(name, *et.func, ind);
        } else if (et.sort == Sort::Instance) {
            out += fmt::format("{}// nested instance `{}` is not representable in WIT\n",
                               indent(ind), name);
        }
    }
    return out;
}

struct InterfaceName {
    std::string package; // ns:pkg (with @version when present)
    std::string name;    // iface
};

std::optional<InterfaceName> split_interface(std::string_view full) {
    size_t slash = full.find('/');
    if (full.find(':') == std::string_view::npos || slash == std::string_view::npos)
        return std::nullopt;
    std::string_view rest = full.substr(slash + 1);
    size_t at = rest.find('@');
    InterfaceName n;
    n.package = std::string(full.substr(0, slash));
    n.name = std::string(rest.substr(0, at));
    if (at != std::string_view::npos) n.package += std::string(rest.substr(at));
    return n;
}

} // namespace

std::string Component::world_wit(std::string_view world_name) const {
    const ComponentType& ct = type();
    std::map<std::string, std::vector<std::pair<std::string, const InstanceType*>>> packages;
    std::string world = fmt::format("world {} {{\n", world_name);
    auto item = [&](const char* dir, const std::string& name, const ExternType& et) {
        if (et.sort == Sort::Instance) {
            if (auto iface = split_interface(name)) {
                auto& ifaces = packages[iface->package];
                bool seen = false;
                for (const auto& [n, t] : ifaces) seen = seen || n == iface->name;
                if (!seen) ifaces.emplace_back(iface->name, et.instance);
                world += fmt::format("  {} {};\n", dir, name);
            } else {
                world += fmt::format("  {} {}: interface {{\n{}  }}\n", dir, name,
                                     instance_body(*et.instance, 2));
            }
        } else if (et.sort == Sort::Func) {
            world += fmt::format("  {} {}: {};\n", dir, name, wit_func(*et.func));
        } else if (et.sort == Sort::Type) {
            if (et.resource)
                world += fmt::format("  {} {}: resource;\n", dir, name);
            else if (et.value_type)
                world += type_definition(name, et.value_type, 1);
        } else {
            world += fmt::format("  // {} `{}`: a {} is not representable in WIT\n", dir, name,
                                 sort_name(et.sort));
        }
    };
    for (const auto& [name, et] : ct.imports) item("import", name, et);
    for (const auto& [name, et] : ct.exports) item("export", name, et);
    world += "}\n";

    std::string out = "package root:component;\n\n" + world;
    for (const auto& [pkg, ifaces] : packages) {
        out += fmt::format("\npackage {} {{\n", pkg);
        for (size_t i = 0; i < ifaces.size(); ++i) {
            if (i) out += "\n";
            out += fmt::format("  interface {} {{\n{}  }}\n", ifaces[i].first,
                               instance_body(*ifaces[i].second, 2));
        }
        out += "}\n";
    }
    return out;
}

} // namespace cirrus::component
