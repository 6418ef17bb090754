// reclag: error types shared by the whole library.
#pragma once

#include <stdexcept>
#include <string>

namespace reclag {

/// Thrown when a caller passes an argument the library cannot use: a wrong shape, a
/// non-positive hyper-parameter, a non-finite value, a scorer used before fit().
/// The message always names the function and the offending value or shape.
class invalid_argument : public std::invalid_argument {
public:
    explicit invalid_argument(const std::string& what) : std::invalid_argument(what) {}
};

/// Thrown when a file cannot be read or written, or its content is malformed
/// (bad magic, truncated data, unsupported dtype, ...). The message names the file.
class io_error : public std::runtime_error {
public:
    explicit io_error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace reclag
