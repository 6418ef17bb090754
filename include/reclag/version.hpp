// reclag: library version.
#pragma once

#define RECLAG_VERSION_MAJOR 0
#define RECLAG_VERSION_MINOR 1
#define RECLAG_VERSION_PATCH 0
#define RECLAG_VERSION_STRING "0.1.0"

namespace reclag {
inline constexpr const char* version_string = RECLAG_VERSION_STRING;
}
