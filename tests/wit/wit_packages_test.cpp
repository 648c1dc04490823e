// The reference WIT packages in ../shared/wit (see its README): every folder resolves together
// with the folders its table row lists as dependencies (loaded side by side), every world of
// it can be selected, a wrapper world importing all its interfaces elaborates, and printing the
// result parses back to the same text.
#include "suite_support.h"

#include "cirrus/wit/printer.h"
#include "cirrus/wit/resolve.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>

namespace cirrus::wit::testing {
namespace {

namespace fs = std::filesystem;

struct PackageRow {
    std::string folder;
    std::vector<std::string> deps;
};

// Rows of the README's "Packages" table: `| `folder/` | `pkg` | ... | deps |`.
std::vector<PackageRow> package_rows() {
    std::vector<PackageRow> rows;
    std::ifstream in(shared_dir() / "wit" / "README.md");
    std::string line;
    static const std::regex row(R"(^\| `([^`]+)/` \|.*\| ([^|]*) \|\s*$)");
    static const std::regex tick(R"(`([^`]+)`)");
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        PackageRow r{m[1].str(), {}};
        std::string deps = m[2].str();
        for (std::sregex_iterator it(deps.begin(), deps.end(), tick), end; it != end; ++it) {
            r.deps.push_back((*it)[1].str());
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

std::string test_name(const PackageRow& r) {
    std::string out;
    for (char c : r.folder) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

class WitPackages : public ::testing::TestWithParam<PackageRow> {};

TEST_P(WitPackages, ResolvesWithItsDependencies) {
    const PackageRow& row = GetParam();
    fs::path root = shared_dir() / "wit";
    std::vector<fs::path> dirs;
    for (const std::string& dep : row.deps) dirs.push_back(root / dep);
    dirs.push_back(root / row.folder);

    Resolve resolve;
    auto ids = resolve.push_package_dirs(dirs);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    PackageId main = ids->back();
    const Package& pkg = resolve.packages[main];
    EXPECT_FALSE(pkg.interfaces.empty() && pkg.worlds.empty());

    for (const auto& [name, id] : pkg.worlds) {
        auto world = resolve.select_world(main, name);
        ASSERT_TRUE(world.ok()) << world.error().message;
        EXPECT_EQ(*world, id);
    }

    // A wrapper world importing every interface must elaborate.
    if (!pkg.interfaces.empty()) {
        std::string wrapper = "package cirrus-test:wrapper;\nworld all {\n";
        for (const auto& [name, id] : pkg.interfaces)
            wrapper += "  import " + resolve.id_of(id) + ";\n";
        wrapper += "}\n";
        auto w = resolve.push_source("wrapper.wit", wrapper);
        ASSERT_TRUE(w.ok()) << w.error().message;
    }

    // print -> parse -> print is a fixed point.
    std::string text1 = print_resolve(resolve, main);
    Resolve again;
    auto reparsed = again.push_source("printed.wit", text1);
    ASSERT_TRUE(reparsed.ok()) << reparsed.error().message << "\n" << text1;
    std::string text2 = print_resolve(again, *reparsed);
    if (text1 != text2) {
        size_t at = 0;
        while (at < text1.size() && at < text2.size() && text1[at] == text2[at]) ++at;
        size_t from = text1.rfind('\n', at) == std::string::npos ? 0 : text1.rfind('\n', at);
        ADD_FAILURE() << "print is not a fixed point; first difference:\n"
                      << text1.substr(from, 300) << "\n--- vs ---\n"
                      << text2.substr(from, 300);
    }
}

INSTANTIATE_TEST_SUITE_P(SharedWit, WitPackages, ::testing::ValuesIn(package_rows()),
                         [](const auto& info) { return test_name(info.param); });

TEST(WitPackages, TableListsEveryFolder) {
    std::set<std::string> rows, folders;
    for (const PackageRow& r : package_rows()) rows.insert(r.folder);
    fs::path root = shared_dir() / "wit";
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.path().extension() == ".wit") {
            folders.insert(fs::relative(e.path().parent_path(), root).generic_string());
        }
    }
    EXPECT_EQ(rows, folders);
}

TEST(WitPackages, WasiHttpProxyWorldImportsItsDependencies) {
    fs::path root = shared_dir() / "wit";
    Resolve resolve;
    std::vector<fs::path> dirs;
    for (const char* d :
         {"wasi-io@0.2.12", "wasi-clocks@0.2.12", "wasi-random@0.2.12", "wasi-filesystem@0.2.12",
          "wasi-sockets@0.2.12", "wasi-cli@0.2.12", "wasi-http@0.2.12"}) {
        dirs.push_back(root / d);
    }
    auto ids = resolve.push_package_dirs(dirs);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    auto world = resolve.select_world(ids->back(), "proxy");
    ASSERT_TRUE(world.ok()) << world.error().message;
    const World& w = resolve.worlds[*world];
    std::set<std::string> imports;
    for (const auto& [key, item] : w.imports) imports.insert(resolve.name_world_key(key));
    EXPECT_TRUE(imports.count("wasi:io/streams@0.2.12"));
    EXPECT_TRUE(imports.count("wasi:http/types@0.2.12"));
    EXPECT_TRUE(imports.count("wasi:http/outgoing-handler@0.2.12"));
    std::set<std::string> exports;
    for (const auto& [key, item] : w.exports) exports.insert(resolve.name_world_key(key));
    EXPECT_EQ(exports, std::set<std::string>{"wasi:http/incoming-handler@0.2.12"});
}

} // namespace
} // namespace cirrus::wit::testing

namespace cirrus::wit::testing {
namespace {

// The search path finds each dependency folder by package name (wasmcloud:host needs twenty).
TEST(WitPackages, SearchPathFindsDependencies) {
    fs::path root = shared_dir() / "wit";
    Resolve resolve;
    auto pkg = resolve.push_path_searching(root / "wasmcloud-host@1.0.1", {root});
    ASSERT_TRUE(pkg.ok()) << pkg.error().message;
    EXPECT_EQ(resolve.packages[*pkg].name.to_string(), "wasmcloud:host@1.0.1");
    EXPECT_TRUE(resolve.select_world(*pkg, "interfaces").ok());
    EXPECT_TRUE(
        resolve.package_names.count(PackageName{"wasi", "config", Version::parse("0.2.0-draft")}));
    EXPECT_GE(resolve.packages.size(), 21u);
}

} // namespace
} // namespace cirrus::wit::testing
