// The Kafka transport of legradmetapublish, through librdkafka: bootstrap servers, the stream
// id as each message's key, acks, compression, further client settings from a file, and the
// control topic read by a consumer of its own.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "legradtransport.h"

namespace legrad {

// Throws legrad::Error naming a setting librdkafka refuses. Commands from the control topic
// arrive on `on_command`, on the thread that calls service().
std::unique_ptr<Transport> make_kafka_transport(const PublishSettings& settings,
                                                std::function<void(const std::string&)> on_command);

}  // namespace legrad
