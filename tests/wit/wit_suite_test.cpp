// The wit-parser UI suite (../shared/testsuite/wit-parser, see its README), run the way
// upstream runs it: a fresh Resolve with feature `active` per case. Passing cases must resolve
// to the graph in `X.wit.json` (compared structurally); parse-fail cases must fail with the
// message and location of `X.wit.result`. Cases listed in known_mismatches.txt are skipped
// with their reason, and fail if they start passing (so the list stays honest).
#include "suite_support.h"

#include "cirrus/wit/json.h"
#include "cirrus/wit/printer.h"
#include "cirrus/wit/resolve.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace cirrus::wit::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path ui_dir() {
    return shared_dir() / "testsuite" / "wit-parser" / "ui";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Case names: `X` for `X.wit` or directory `X/` next to an expectation file.
std::vector<std::string> cases(const fs::path& dir, const std::string& expect_ext) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        if (e.is_directory()) {
            if (name != "parse-fail" && fs::exists(dir / (name + expect_ext))) out.push_back(name);
        } else if (e.path().extension() == ".wit" || e.path().extension() == ".wat") {
            std::string stem = e.path().stem().string();
            if (fs::exists(dir / (stem + expect_ext))) out.push_back(stem);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

fs::path case_path(const fs::path& dir, const std::string& name) {
    if (fs::is_directory(dir / name)) return dir / name;
    if (fs::exists(dir / (name + ".wat"))) return dir / (name + ".wat");
    return dir / (name + ".wit");
}

std::string gtest_name(const std::string& s) {
    std::string out;
    for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

// Runs one case; returns "" when it behaves as expected, else what went wrong.
std::string check_pass_case(const std::string& name) {
    Resolve resolve;
    resolve.features.insert("active");
    auto pushed = resolve.push_path(case_path(ui_dir(), name));
    if (!pushed.ok()) return "failed to resolve:\n" + pushed.error().message;
    json actual = canonical_resolve(json::parse(to_json(resolve)));
    json expected = canonical_resolve(json::parse(slurp(ui_dir() / (name + ".wit.json"))));
    if (actual == expected) return "";
    json patch = json::diff(expected, actual);
    return "resolved graph differs from " + name + ".wit.json; patch expected->actual:\n" +
           patch.dump(1).substr(0, 4000);
}

std::string check_fail_case(const std::string& name) {
    fs::path dir = ui_dir() / "parse-fail";
    Resolve resolve;
    resolve.features.insert("active");
    auto pushed = resolve.push_path(case_path(dir, name));
    if (pushed.ok()) return "resolved, but should fail";
    std::string expected = slurp(dir / (name + ".wit.result"));
    const std::string& actual = pushed.error().message;
    std::string want_core = error_core(expected), got_core = error_core(actual);
    std::string want_loc = error_location(expected), got_loc = error_location(actual);
    if (want_core != got_core || want_loc != got_loc) {
        return "error differs\n--- expected ---\n" + expected + "\n--- actual ---\n" + actual;
    }
    return "";
}

void run_case(const std::string& key, const std::string& problem) {
    auto it = known_mismatches().find(key);
    if (it != known_mismatches().end()) {
        if (problem.empty()) {
            FAIL() << key << " now passes; remove it from known_mismatches.txt";
        }
        GTEST_SKIP() << "known mismatch: " << it->second << "\n" << problem;
    }
    EXPECT_EQ(problem, "");
}

class WitParserPass : public ::testing::TestWithParam<std::string> {};
class WitParserFail : public ::testing::TestWithParam<std::string> {};

TEST_P(WitParserPass, ResolvesToExpectedGraph) {
    run_case(GetParam(), check_pass_case(GetParam()));
}

TEST_P(WitParserFail, FailsWithExpectedError) {
    run_case("parse-fail/" + GetParam(), check_fail_case(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Ui, WitParserPass, ::testing::ValuesIn(cases(ui_dir(), ".wit.json")),
                         [](const auto& info) { return gtest_name(info.param); });
INSTANTIATE_TEST_SUITE_P(Ui, WitParserFail,
                         ::testing::ValuesIn(cases(ui_dir() / "parse-fail", ".wit.result")),
                         [](const auto& info) { return gtest_name(info.param); });

} // namespace
} // namespace cirrus::wit::testing

namespace cirrus::wit::testing {
namespace {

// Printing a resolved case and parsing the text again gives the same graph, and printing that
// gives the same text.
std::string check_round_trip(const std::string& name) {
    Resolve first;
    first.features.insert("active");
    auto pkg = first.push_path(case_path(ui_dir(), name));
    if (!pkg.ok()) return "failed to resolve:\n" + pkg.error().message;
    std::string text1 = print_resolve(first, *pkg);
    Resolve second;
    second.features.insert("active");
    auto pkg2 = second.push_source(name + ".printed.wit", text1);
    if (!pkg2.ok()) return "printed text does not parse:\n" + pkg2.error().message + "\n" + text1;
    std::string text2 = print_resolve(second, *pkg2);
    if (text1 != text2)
        return "print is not a fixed point:\n--- first ---\n" + text1 + "\n--- second ---\n" +
               text2;
    json a = canonical_resolve(json::parse(to_json(first)));
    json b = canonical_resolve(json::parse(to_json(second)));
    if (a != b) {
        return "reparsed graph differs:\n" + json::diff(a, b).dump(1).substr(0, 4000) + "\n" +
               text1;
    }
    return "";
}

class WitRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(WitRoundTrip, PrintParsePrintIsAFixedPoint) {
    run_case("round-trip/" + GetParam(), check_round_trip(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Ui, WitRoundTrip, ::testing::ValuesIn(cases(ui_dir(), ".wit.json")),
                         [](const auto& info) { return gtest_name(info.param); });

} // namespace
} // namespace cirrus::wit::testing
