// The one table of interface families cirrus serves: what `--link` accepts and what every
// component gets by default.
#include "families.h"

namespace cirrus::capabilities {

const std::vector<Family>& families() {
    static const std::vector<Family> table = {
        logging_family(),
        config_family(),
        secrets_family(),
        keyvalue_family(),
        blobstore_family(),
        messaging_family(),
        postgres_family(),
    };
    return table;
}

const Family* find_family(std::string_view name) {
    for (const auto& f : families()) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

} // namespace cirrus::capabilities
