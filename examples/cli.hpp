// Command-line plumbing shared by the example programs: one error type for a bad command line,
// number parsing that names the option, and the exit-status convention (0 ok, 2 usage, 1 data).
#pragma once

#include <cmath>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>

namespace reclag_examples {

/// A bad command line: reported with "(see --help)" and exit status 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The whole of `text` as a finite number, or a UsageError naming `option`.
inline double parse_number(const std::string& option, const std::string& text) {
    std::size_t used = 0;
    double x = 0;
    try {
        x = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || !std::isfinite(x))
        throw UsageError("option " + option + " expects a finite number, got '" + text + "'");
    return x;
}

/// Runs `body` and turns every exception into one line "<program>: error: ..." on stderr and a
/// non-zero status: 2 for a UsageError, 1 for anything else. `before_error` runs first (for
/// example to clear a progress bar from the terminal line).
template <typename Body, typename BeforeError>
int run_cli(const char* program, Body&& body, BeforeError&& before_error) {
    try {
        return std::forward<Body>(body)();
    } catch (const UsageError& e) {
        before_error();
        std::cerr << program << ": error: " << e.what() << " (see --help)\n";
        return 2;
    } catch (const std::exception& e) {
        before_error();
        std::cerr << program << ": error: " << e.what() << "\n";
        return 1;
    }
}

template <typename Body>
int run_cli(const char* program, Body&& body) {
    return run_cli(program, std::forward<Body>(body), [] {});
}

}  // namespace reclag_examples
