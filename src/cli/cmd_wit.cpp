// `cirrus wit check [--features F,...] [--dep DIR]... PATH`: resolves a WIT file or package
// directory (with its `deps/`); exit status 0 when it resolves, else the error and 1.
// `cirrus wit print [--world NAME] [--json] PATH`: prints the resolved package (and the
// packages it depends on, nested) as WIT, one world of it, or the wit-parser JSON form.
// `--dep DIR` loads package folders that sit side by side (as in ../shared/wit) first;
// `--search ROOT` picks the folders the package needs from ROOT's package folders by name.
#include "commands.h"

#include "cirrus/wit/json.h"
#include "cirrus/wit/printer.h"
#include "cirrus/wit/resolve.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace cirrus::cli {

namespace {

struct WitArgs {
    std::string path;
    std::vector<std::string> features;
    bool all_features = false;
    std::vector<std::string> deps;
    std::vector<std::string> search;
    std::string world;
    bool json = false;
};

Result<wit::PackageId> load(wit::Resolve& resolve, const WitArgs& args) {
    for (const std::string& f : args.features) {
        // `--features a,b` and `--features a --features b` both work.
        size_t start = 0;
        while (start <= f.size()) {
            size_t comma = f.find(',', start);
            std::string name = f.substr(start, comma == std::string::npos ? comma : comma - start);
            if (!name.empty()) resolve.features.insert(name);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    resolve.all_features = args.all_features;
    if (!args.search.empty()) {
        CIRRUS_TRY(resolve.push_package_dirs({args.deps.begin(), args.deps.end()}));
        return resolve.push_path_searching(args.path, {args.search.begin(), args.search.end()});
    }
    if (args.deps.empty()) return resolve.push_path(args.path);
    std::vector<std::filesystem::path> dirs(args.deps.begin(), args.deps.end());
    std::error_code ec;
    bool is_dir = std::filesystem::is_directory(args.path, ec);
    if (is_dir) dirs.push_back(args.path);
    CIRRUS_TRY_ASSIGN(auto ids, resolve.push_package_dirs(dirs));
    if (is_dir) return ids.back();
    return resolve.push_file(args.path);
}

void add_common(CLI::App* cmd, WitArgs& args) {
    cmd->add_option("path", args.path, "WIT file or package directory")->required();
    cmd->add_option("--features", args.features, "features enabled for @unstable gates")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_flag("--all-features", args.all_features, "enable every @unstable feature");
    cmd->add_option("--dep", args.deps, "a dependency package folder (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--search", args.search,
                    "a folder of package folders to take dependencies from (repeatable)")
        ->allow_extra_args(false);
}

int run_check(const WitArgs& args) {
    wit::Resolve resolve;
    auto pkg = load(resolve, args);
    if (!pkg.ok()) {
        fmt::print(stderr, "error: {}\n", pkg.error().message);
        return 1;
    }
    return 0;
}

int run_print(const WitArgs& args) {
    wit::Resolve resolve;
    auto pkg = load(resolve, args);
    if (!pkg.ok()) {
        fmt::print(stderr, "error: {}\n", pkg.error().message);
        return 1;
    }
    if (args.json) {
        fmt::print("{}\n", wit::to_json(resolve));
        return 0;
    }
    if (!args.world.empty()) {
        auto world = resolve.select_world(*pkg, args.world);
        if (!world.ok()) {
            fmt::print(stderr, "error: {}\n", world.error().message);
            return 1;
        }
        fmt::print("{}", wit::print_world(resolve, *world));
        return 0;
    }
    fmt::print("{}", wit::print_resolve(resolve, *pkg));
    return 0;
}

} // namespace

void register_wit(CLI::App& app) {
    CLI::App* wit = app.add_subcommand("wit", "Check and print WIT packages");
    wit->require_subcommand(1);

    auto check_args = std::make_shared<WitArgs>();
    CLI::App* check =
        wit->add_subcommand("check", "Resolve WIT; exit 1 with the error if it fails");
    add_common(check, *check_args);
    check->callback([check_args] {
        int status = run_check(*check_args);
        // CLI11's way to end with a status: main() returns it from app.exit().
        if (status != 0) throw CLI::RuntimeError(status);
    });

    auto print_args = std::make_shared<WitArgs>();
    CLI::App* print = wit->add_subcommand("print", "Print resolved WIT");
    add_common(print, *print_args);
    print->add_option("--world", print_args->world, "print only this world (name or ns:pkg/name)");
    print->add_flag("--json", print_args->json, "print wit-parser's JSON form of the resolve");
    print->callback([print_args] {
        int status = run_print(*print_args);
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

} // namespace cirrus::cli
