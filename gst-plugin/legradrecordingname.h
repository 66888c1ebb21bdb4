// Where a recording that starts now goes: FOLDER/NAME-YYYYMMDDTHHMMSSZ.mp4 (its UTC start),
// with -2, -3, ... before the extension where that file exists (two files within a second, a
// restarted recorder). Shared by legradrecordsink's segments and legradclipsink's clips.
#pragma once

#include <string>

namespace legrad {

std::string recording_path(const std::string& folder, const std::string& name);

}  // namespace legrad
