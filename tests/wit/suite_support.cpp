#include "suite_support.h"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace cirrus::wit::testing {

using nlohmann::json;

std::filesystem::path shared_dir() {
    const char* env = std::getenv("CIRRUS_SHARED_DIR");
    return env ? std::filesystem::path(env) : std::filesystem::path(CIRRUS_WIT_DEFAULT_SHARED_DIR);
}

const std::map<std::string, std::string>& known_mismatches() {
    static const std::map<std::string, std::string> list = [] {
        std::map<std::string, std::string> out;
        std::ifstream in(CIRRUS_WIT_KNOWN_MISMATCHES);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            size_t space = line.find_first_of(" \t");
            std::string name = line.substr(0, space);
            std::string reason = space == std::string::npos ? "" : line.substr(space + 1);
            reason.erase(0, reason.find_first_not_of(" \t"));
            out[name] = reason;
        }
        return out;
    }();
    return list;
}

namespace {

class Canon {
public:
    explicit Canon(const json& r) : r_(r) {}

    std::string package_name(const json& pkg_index) const {
        if (!pkg_index.is_number()) return "?";
        return r_["packages"][pkg_index.get<size_t>()]["name"].get<std::string>();
    }

    std::string interface_desc(size_t i) const {
        const json& iface = r_["interfaces"][i];
        std::string pkg = iface.contains("package") ? package_name(iface["package"]) : "?";
        if (iface["name"].is_null()) return pkg + "/<anonymous>";
        return pkg + "/" + iface["name"].get<std::string>();
    }

    std::string owner_desc(const json& owner) const {
        if (owner.is_null()) return "";
        if (owner.contains("interface")) return interface_desc(owner["interface"].get<size_t>());
        const json& world = r_["worlds"][owner["world"].get<size_t>()];
        return package_name(world["package"]) + "/world " + world["name"].get<std::string>();
    }

    json type_ref(const json& t, int depth = 0) const {
        if (t.is_null()) return nullptr;
        if (t.is_string()) return t;
        if (depth > 200) return "<too deep>";
        const json& def = r_["types"][t.get<size_t>()];
        if (!def["name"].is_null()) {
            return "named " + def["name"].get<std::string>() + " @ " + owner_desc(def["owner"]);
        }
        return kind(def["kind"], depth + 1);
    }

    json kind(const json& k, int depth) const {
        if (k.is_string()) return k;
        json out;
        for (auto& [tag, v] : k.items()) {
            if (tag == "type" || tag == "list" || tag == "option" || tag == "future" ||
                tag == "stream") {
                out[tag] = type_ref(v, depth);
            } else if (tag == "handle") {
                for (auto& [h, id] : v.items()) out[tag][h] = type_ref(id, depth);
            } else if (tag == "map") {
                out[tag] = json::array({type_ref(v[0], depth), type_ref(v[1], depth)});
            } else if (tag == "fixed-length-list") {
                out[tag] = json::array({type_ref(v[0], depth), v[1]});
            } else if (tag == "result") {
                out[tag] = {{"ok", type_ref(v["ok"], depth)}, {"err", type_ref(v["err"], depth)}};
            } else if (tag == "tuple") {
                json types = json::array();
                for (const json& x : v["types"]) types.push_back(type_ref(x, depth));
                out[tag] = types;
            } else if (tag == "record") {
                json fields = json::array();
                for (const json& f : v["fields"]) {
                    fields.push_back({{"name", f["name"]}, {"type", type_ref(f["type"], depth)}});
                }
                out[tag] = fields;
            } else if (tag == "variant") {
                json cases = json::array();
                for (const json& c : v["cases"]) {
                    cases.push_back({{"name", c["name"]}, {"type", type_ref(c["type"], depth)}});
                }
                out[tag] = cases;
            } else if (tag == "enum" || tag == "flags") {
                json names = json::array();
                for (const json& c : v[tag == "enum" ? "cases" : "flags"])
                    names.push_back(c["name"]);
                out[tag] = names;
            } else {
                out[tag] = v;
            }
        }
        return out;
    }

    json typedef_full(size_t i) const {
        const json& def = r_["types"][i];
        json out{{"name", def["name"]},
                 {"kind", kind(def["kind"], 0)},
                 {"owner", owner_desc(def["owner"])}};
        if (def.contains("docs")) out["docs"] = def["docs"];
        if (def.contains("stability")) out["stability"] = def["stability"];
        return out;
    }

    json function(const json& f) const {
        json out{{"name", f["name"]}};
        if (f["kind"].is_string()) {
            out["kind"] = f["kind"];
        } else {
            for (auto& [k, id] : f["kind"].items()) out["kind"][k] = type_ref(id);
        }
        json params = json::array();
        for (const json& p : f["params"]) {
            params.push_back({{"name", p["name"]}, {"type", type_ref(p["type"])}});
        }
        out["params"] = params;
        out["result"] = f.contains("result") ? type_ref(f["result"]) : json(nullptr);
        if (f.contains("docs")) out["docs"] = f["docs"];
        if (f.contains("stability")) out["stability"] = f["stability"];
        return out;
    }

    json interface(size_t i) const {
        const json& iface = r_["interfaces"][i];
        json out{{"name", iface["name"]}};
        json types = json::object();
        for (auto& [name, id] : iface["types"].items())
            types[name] = typedef_full(id.get<size_t>());
        out["types"] = types;
        json funcs = json::object();
        for (auto& [name, f] : iface["functions"].items()) funcs[name] = function(f);
        out["functions"] = funcs;
        if (iface.contains("docs")) out["docs"] = iface["docs"];
        if (iface.contains("stability")) out["stability"] = iface["stability"];
        return out;
    }

    json world_items(const json& items) const {
        json out = json::object();
        for (auto& [key, item] : items.items()) {
            std::string k = key;
            if (key.rfind("interface-", 0) == 0) {
                k = "interface " + interface_desc(std::stoul(key.substr(10)));
            }
            json v;
            if (item.contains("interface")) {
                size_t id = item["interface"]["id"].get<size_t>();
                const json& iface = r_["interfaces"][id];
                v["interface"] = iface["name"].is_null() ? interface(id) : json(interface_desc(id));
                if (item["interface"].contains("stability")) {
                    v["stability"] = item["interface"]["stability"];
                }
            } else if (item.contains("function")) {
                v["function"] = function(item["function"]);
            } else {
                v["type"] = typedef_full(item["type"].get<size_t>());
            }
            out[k] = v;
        }
        return out;
    }

    json world(size_t i) const {
        const json& w = r_["worlds"][i];
        json out{{"name", w["name"]},
                 {"imports", world_items(w["imports"])},
                 {"exports", world_items(w["exports"])}};
        if (w.contains("docs")) out["docs"] = w["docs"];
        if (w.contains("stability")) out["stability"] = w["stability"];
        return out;
    }

    json resolve() const {
        json out = json::object();
        for (const json& pkg : r_["packages"]) {
            json p;
            json ifaces = json::object();
            for (auto& [name, id] : pkg["interfaces"].items())
                ifaces[name] = interface(id.get<size_t>());
            json worlds = json::object();
            for (auto& [name, id] : pkg["worlds"].items()) worlds[name] = world(id.get<size_t>());
            p["interfaces"] = ifaces;
            p["worlds"] = worlds;
            if (pkg.contains("docs")) p["docs"] = pkg["docs"];
            out[pkg["name"].get<std::string>()] = p;
        }
        return out;
    }

private:
    const json& r_;
};

} // namespace

json canonical_resolve(const json& resolve) {
    return Canon(resolve).resolve();
}

std::string error_core(const std::string& message) {
    std::string line = message.substr(0, message.find('\n'));
    static const std::regex dir_prefix(
        R"(^failed to resolve directory while parsing WIT for path \[[^\]]*\]: )");
    static const std::regex pkg_prefix(R"(^failed to parse package: [^:]*: )");
    static const std::regex loc_prefix(R"(^[^ ]*:\d+:\d+: )");
    line = std::regex_replace(line, dir_prefix, "");
    line = std::regex_replace(line, pkg_prefix, "");
    line = std::regex_replace(line, loc_prefix, "");
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

std::string error_location(const std::string& message) {
    static const std::regex arrow(R"(--> [^\n]*?:(\d+):(\d+))");
    static const std::regex inline_loc(R"(^[^ \n]*:(\d+):(\d+): )");
    std::smatch m;
    if (std::regex_search(message, m, arrow)) return m[1].str() + ":" + m[2].str();
    if (std::regex_search(message, m, inline_loc)) return m[1].str() + ":" + m[2].str();
    return "";
}

} // namespace cirrus::wit::testing
