// libFuzzer target over the WIT front end: any input must parse and resolve or give an error,
// never crash; and what resolves must print to WIT that resolves again and prints the same.
#include "cirrus/wit/json.h"
#include "cirrus/wit/printer.h"
#include "cirrus/wit/resolve.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    cirrus::wit::Resolve resolve;
    resolve.features.insert("active");
    auto pkg = resolve.push_source("fuzz.wit", text);
    if (!pkg.ok()) return 0;
    (void)cirrus::wit::to_json(resolve);
    std::string printed = cirrus::wit::print_resolve(resolve, *pkg);
    cirrus::wit::Resolve again;
    again.features.insert("active");
    auto reparsed = again.push_source("printed.wit", printed);
    if (!reparsed.ok()) {
        std::fprintf(stderr, "printed WIT does not resolve:\n%s\n--- text ---\n%s\n",
                     reparsed.error().message.c_str(), printed.c_str());
        __builtin_trap();
    }
    if (cirrus::wit::print_resolve(again, *reparsed) != printed) {
        std::fprintf(stderr, "print is not a fixed point:\n%s\n", printed.c_str());
        __builtin_trap();
    }
    return 0;
}
