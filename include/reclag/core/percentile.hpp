// reclag: NumPy-exact percentile (method 'linear', NumPy's default), used where a threshold
// must reproduce a Python reference bit for bit (DICE's weight threshold, ReAct's clip level).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "reclag/core/checks.hpp"

namespace reclag {

/// np.percentile(values, p) with linear interpolation, reproducing NumPy >= 1.22 exactly:
/// virtual index (n - 1) * (p / 100), g = its fractional part, and NumPy's two-sided lerp
/// (a + (b - a) g for g < 0.5, b - (b - a)(1 - g) otherwise), so a threshold that later
/// decides a strict `>` comparison agrees with the reference to the last bit.
/// `values` is taken by value and partially reordered (O(n) selection, no full sort).
inline double percentile_numpy_linear(std::vector<double> values, double p) {
    const char* where = "percentile_numpy_linear";
    if (values.empty()) throw_invalid(where, "values is empty");
    if (!(p >= 0.0 && p <= 100.0)) throw_invalid(where, "p must be in [0, 100] (got ", p, ")");
    const auto n = static_cast<std::ptrdiff_t>(values.size());
    const double q = p / 100.0;
    const double virtual_index = static_cast<double>(n - 1) * q;
    const double previous = std::floor(virtual_index);
    const double gamma = virtual_index - previous;
    const std::ptrdiff_t lo = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(previous), n - 1);
    const std::ptrdiff_t hi = std::min<std::ptrdiff_t>(lo + 1, n - 1);
    std::nth_element(values.begin(), values.begin() + lo, values.end());
    const double a = values[static_cast<std::size_t>(lo)];
    // After nth_element every element past lo is >= a; the next order statistic is their minimum.
    const double b = hi == lo ? a : *std::min_element(values.begin() + hi, values.end());
    const double diff = b - a;
    return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

}  // namespace reclag
