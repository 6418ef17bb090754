// reclag: Eigen type aliases used across the library.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace reclag {

using Index = Eigen::Index;

/// Row-major dense matrix: rows are samples, the layout NumPy writes in C order.
template <typename Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

template <typename Scalar>
using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

/// Labels and predicted classes are 64-bit, like PyTorch's int64 label tensors.
using LabelVector = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;

/// Read-only, non-owning view of a row-major matrix whose rows are contiguous (any row
/// stride). This is the layout NumPy writes in C order and the one Eigen's GEMM reads
/// without a copy; see FeatureView for how column-major inputs are accepted.
template <typename Scalar>
using ConstMatrixView = Eigen::Map<const RowMatrix<Scalar>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename Scalar>
using ConstVectorView = Eigen::Map<const Vector<Scalar>>;

using ConstLabelView = Eigen::Map<const LabelVector>;

/// The library is instantiated for float and double only.
template <typename Scalar>
inline constexpr bool is_supported_scalar_v =
    std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>;

}  // namespace reclag
