// The Kafka transport of legradmetapublish, through librdkafka: bootstrap servers, the stream
// id as each message's key, acks, compression, and further client settings from a file.
#pragma once

#include <memory>

#include "legradtransport.h"

namespace legrad {

// Throws legrad::Error naming a setting librdkafka refuses.
std::unique_ptr<Transport> make_kafka_transport(const PublishSettings& settings);

}  // namespace legrad
