// The interface families of this layer, one function each (in the file that implements the
// family); registry.cpp lists them in families().
#pragma once

#include "cirrus/capabilities/provider.h"

namespace cirrus::capabilities {

Family logging_family();  // logging.cpp
Family config_family();   // config.cpp
Family secrets_family();  // secrets.cpp
Family keyvalue_family(); // keyvalue.cpp
Family blobstore_family(); // blobstore.cpp
Family messaging_family(); // messaging.cpp
Family postgres_family();  // postgres.cpp

// What the messaging provider offers the host for components exporting `handler`.
class MessageSource {
public:
    virtual ~MessageSource() = default;
    virtual const std::vector<std::string>& subjects() const = 0;
    virtual Result<std::unique_ptr<MessageSubscription>>
    subscribe(std::function<void(BrokerMessage)> deliver) = 0;
};

} // namespace cirrus::capabilities
