// reclag: the Lagrangian policy contract shared by memory-side (L_H) and feature-side (L_V)
// Lagrangians of the Krotov-Hopfield dynamical system (Eqs. 1-4).
//
// A Lagrangian policy is a small class (held by value, copied freely) with
//
//   using Scalar = float or double;
//   static constexpr const char* name = "...";
//   struct Param { ...; void check_param() const; };          // documented defaults
//   explicit Policy(Param p = {});
//   // L(h_i) for every row h_i of h (rows = states), written into out (size h.rows()):
//   void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const;
//   // f(h_i) = dL/dh (h_i) for every row, written into out (same shape as h):
//   void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<RowMatrix<Scalar>> out) const;
//
// Semantics every policy keeps:
//  - activation is the gradient of value (Eq. 3), row by row; where L is not differentiable
//    (|x| at 0, RecLag at G = 0) the policy documents which one-sided value it returns.
//  - exp-based policies are max-shifted: value and activation are finite for |beta h| up to 1e4
//    in float and double (nothing overflows or becomes NaN).
//  - const, no mutable state: one policy may be used from several threads at once.
// Deriving from LagrangianBase<Policy, Scalar> adds the returning forms value(h), activation(h).
// A type that breaks the contract fails to compile with a sentence saying what is missing
// (static_assert_lagrangian<T>()).
#pragma once

#include <type_traits>
#include <utility>

#include <Eigen/Core>

#include "reclag/core/types.hpp"

namespace reclag {

/// Adds value(h) / activation(h) returning plain objects to a policy that implements the
/// *_into forms of the contract above.
template <typename Derived, typename Scalar_>
class LagrangianBase {
public:
    using Scalar = Scalar_;

    /// L(h_i) per row.
    Vector<Scalar> value(const Eigen::Ref<const RowMatrix<Scalar>>& h) const {
        Vector<Scalar> out(h.rows());
        static_cast<const Derived&>(*this).value_into(h, out);
        return out;
    }
    /// f(h_i) = dL/dh per row.
    RowMatrix<Scalar> activation(const Eigen::Ref<const RowMatrix<Scalar>>& h) const {
        RowMatrix<Scalar> out(h.rows(), h.cols());
        static_cast<const Derived&>(*this).activation_into(h, out);
        return out;
    }
};

namespace detail {

template <typename T, typename = void>
struct lagrangian_has_scalar : std::false_type {};
template <typename T>
struct lagrangian_has_scalar<T, std::void_t<typename T::Scalar>>
    : std::bool_constant<is_supported_scalar_v<typename T::Scalar>> {};

template <typename T, typename = void>
struct lagrangian_has_value_into : std::false_type {};
template <typename T>
struct lagrangian_has_value_into<
    T, std::void_t<decltype(std::declval<const T&>().value_into(
           std::declval<const Eigen::Ref<const RowMatrix<typename T::Scalar>>&>(),
           std::declval<Eigen::Ref<Vector<typename T::Scalar>>>()))>> : std::true_type {};

template <typename T, typename = void>
struct lagrangian_has_activation_into : std::false_type {};
template <typename T>
struct lagrangian_has_activation_into<
    T, std::void_t<decltype(std::declval<const T&>().activation_into(
           std::declval<const Eigen::Ref<const RowMatrix<typename T::Scalar>>&>(),
           std::declval<Eigen::Ref<RowMatrix<typename T::Scalar>>>()))>> : std::true_type {};

template <typename T, typename = void>
struct lagrangian_has_name : std::false_type {};
template <typename T>
struct lagrangian_has_name<T, std::void_t<decltype(T::name)>> : std::true_type {};

}  // namespace detail

/// True when T satisfies the Lagrangian policy contract written at the top of this header.
template <typename T>
struct is_lagrangian {
    static constexpr bool value = [] {
        if constexpr (detail::lagrangian_has_scalar<T>::value) {
            return detail::lagrangian_has_value_into<T>::value && detail::lagrangian_has_activation_into<T>::value &&
                   detail::lagrangian_has_name<T>::value;
        } else {
            return false;
        }
    }();
};

template <typename T>
inline constexpr bool is_lagrangian_v = is_lagrangian<T>::value;

/// Fails to compile, with a sentence saying what is missing, when T is not a Lagrangian policy.
template <typename T>
constexpr void static_assert_lagrangian() {
    static_assert(detail::lagrangian_has_scalar<T>::value,
                  "reclag Lagrangian contract: the policy must declare `using Scalar = float or double;`");
    if constexpr (detail::lagrangian_has_scalar<T>::value) {
        static_assert(detail::lagrangian_has_value_into<T>::value,
                      "reclag Lagrangian contract: missing `void value_into(const Eigen::Ref<const "
                      "RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const` (L(h) per row)");
        static_assert(detail::lagrangian_has_activation_into<T>::value,
                      "reclag Lagrangian contract: missing `void activation_into(const Eigen::Ref<const "
                      "RowMatrix<Scalar>>& h, Eigen::Ref<RowMatrix<Scalar>> out) const` (f(h) = dL/dh per row)");
        static_assert(detail::lagrangian_has_name<T>::value,
                      "reclag Lagrangian contract: missing `static constexpr const char* name`");
    }
}

}  // namespace reclag
