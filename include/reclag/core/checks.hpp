// reclag: argument checks with messages that name the function, the argument and the shape.
// Every public entry point validates through these so that messages read the same everywhere:
//   "EnergyScorer::score: logits has 9 columns, expected 10"
#pragma once

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include <Eigen/Core>

#include "reclag/core/error.hpp"
#include "reclag/core/types.hpp"

namespace reclag {
namespace detail {

template <typename... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream os;
    os.precision(17);
    (os << ... << parts);
    return os.str();
}

}  // namespace detail

/// Throws reclag::invalid_argument with "where: message".
template <typename... Parts>
[[noreturn]] void throw_invalid(const char* where, const Parts&... parts) {
    throw invalid_argument(detail::concat(where, ": ", parts...));
}

inline void check_cols(const char* where, const char* what, Index actual, Index expected) {
    if (actual != expected) throw_invalid(where, what, " has ", actual, " columns, expected ", expected);
}

inline void check_rows(const char* where, const char* what, Index actual, Index expected) {
    if (actual != expected) throw_invalid(where, what, " has ", actual, " rows, expected ", expected);
}

inline void check_size(const char* where, const char* what, Index actual, Index expected) {
    if (actual != expected) throw_invalid(where, what, " has ", actual, " elements, expected ", expected);
}

/// rows x cols elements fit in Index (and so in memory arithmetic): checked before a copy or a
/// scan of a caller's matrix, so an absurd shape throws instead of overflowing.
inline void check_shape(const char* where, const char* what, Index rows, Index cols) {
    if (rows < 0 || cols < 0) throw_invalid(where, what, " has a negative dimension (", rows, " x ", cols, ")");
    if (rows > 0 && cols > std::numeric_limits<Index>::max() / rows)
        throw_invalid(where, what, " has shape ", rows, " x ", cols, ": its element count overflows Index");
}

inline void check_nonempty(const char* where, const char* what, Index n) {
    if (n <= 0) throw_invalid(where, what, " is empty");
}

/// A hyper-parameter that must be strictly positive and finite (beta, gamma, temperature, norm).
template <typename T>
void check_positive(const char* where, const char* name, T value) {
    if (!(value > T(0)) || !std::isfinite(static_cast<double>(value)))
        throw_invalid(where, name, " must be positive and finite (got ", value, ")");
}

/// Every label in [0, num_classes), where num_classes is the number of logit columns; the
/// message names the first bad label and its row.
template <typename Derived>
void check_labels(const char* where, const Eigen::DenseBase<Derived>& labels, Index num_classes) {
    for (Index i = 0; i < labels.size(); ++i)
        if (labels(i) < 0 || labels(i) >= num_classes)
            throw_invalid(where, "label ", labels(i), " at row ", i, " is outside [0, ", num_classes,
                          ") (the logits have ", num_classes, " columns)");
}

/// True when no entry of m is NaN or infinite, in one vectorised pass: 0 * x is 0 for every
/// finite x and NaN for inf or NaN, so the sum of 0 * m is 0 exactly when m is all finite
/// (Eigen 3.4's allFinite() walks a row-major matrix column by column without SIMD: 17x slower
/// on 10,000 x 512 features, see bench/). Not valid under -ffast-math, which reclag does not
/// support anyway (it breaks NaN detection everywhere). Contiguous storage (a view whose rows
/// are back to back, e.g. n x 10 logits) is summed as one flat vector: Eigen would otherwise
/// reduce row by row (10 scalars at a time, no SIMD).
template <typename Derived>
bool all_finite_fast(const Eigen::DenseBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    if constexpr ((int(Derived::Flags) & Eigen::DirectAccessBit) != 0) {
        const Derived& d = m.derived();
        if (d.innerStride() == 1 && (d.outerSize() <= 1 || d.outerStride() == d.innerSize())) {
            const Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>> flat(d.data(), d.size());
            return (flat * Scalar(0)).sum() == Scalar(0);
        }
    }
    return (m.derived().array() * Scalar(0)).sum() == Scalar(0);
}

/// Every entry finite; the message names the first non-finite entry by row and column.
template <typename Derived>
void check_finite(const char* where, const char* what, const Eigen::DenseBase<Derived>& m) {
    if (all_finite_fast(m)) return;
    for (Index i = 0; i < m.rows(); ++i)
        for (Index j = 0; j < m.cols(); ++j)
            if (!std::isfinite(static_cast<double>(m(i, j))))
                throw_invalid(where, what, " has a non-finite value (", m(i, j), ") at row ", i, ", column ", j);
}

}  // namespace reclag
