#include "commands.h"
namespace cirrus::cli {
void register_wast(CLI::App&) {}
} // namespace cirrus::cli
