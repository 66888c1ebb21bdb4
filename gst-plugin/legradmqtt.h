// The MQTT transport of legradmetapublish, through libmosquitto: QoS 0 or 1, retain, client
// id, keep-alive, user name and password from a file or the environment, TLS, and the control
// topic's commands.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "legradtransport.h"

namespace legrad {

// Throws legrad::Error for settings libmosquitto refuses (TLS files, credentials).
std::unique_ptr<Transport> make_mqtt_transport(const PublishSettings& settings,
                                               std::function<void(const std::string&)> on_command);

// The user name and password: the credentials file's first two lines, else
// LEGRAD_MQTT_USERNAME and LEGRAD_MQTT_PASSWORD; empty where neither is given.
std::pair<std::string, std::string> mqtt_credentials(const std::string& credentials_file);

}  // namespace legrad
