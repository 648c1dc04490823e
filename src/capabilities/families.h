// The interface families of this layer, one function each (in the file that implements the
// family); registry.cpp lists them in families().
#pragma once

#include "cirrus/capabilities/provider.h"

namespace cirrus::capabilities {

Family logging_family();  // logging.cpp
Family config_family();   // config.cpp
Family secrets_family();  // secrets.cpp
Family keyvalue_family(); // keyvalue.cpp

} // namespace cirrus::capabilities
