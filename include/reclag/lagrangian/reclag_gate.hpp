// reclag: the RecLag gate G = LSE(beta h) - log gamma (Eqs. 13, 29) and its indicator chi(G)
// (Eq. 14). This is the ONE implementation shared by the RecLag Lagrangian (Eq. 11), the
// Hopfield dynamics (Eq. 12) and the RecLag scorer (OOD iff G < 0, Theorem 3): the three must
// never disagree on which side of the basin boundary a state lies.
#pragma once

#include <cmath>
#include <limits>

#include <Eigen/Core>

#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

/// G from an already computed r = LSE(beta h) (Eq. 13 with log(1/gamma sum ...) split):
/// G = r - log gamma. We carry log gamma, never gamma: the calibrated gamma of a 512-d model
/// is ~1e201, beyond float.
template <typename Scalar>
constexpr Scalar reclag_gate_from_lse(Scalar lse, Scalar log_gamma) {
    return lse - log_gamma;
}

namespace detail {

/// Writes e = exp(beta h - max(beta h)) (max-shifted, each entry in (0, 1]) and returns
/// LSE(beta h). The one kernel behind the RecLag gate and the gated softmax, so that L_H, f and
/// G of one state are computed from identical numbers and can never disagree at G ~ 0.
template <typename DerivedH, typename DerivedE>
typename DerivedH::Scalar shifted_exp(const Eigen::MatrixBase<DerivedH>& h, typename DerivedH::Scalar beta,
                                      const Eigen::MatrixBase<DerivedE>& e_out) {
    using Scalar = typename DerivedH::Scalar;
    auto& e = const_cast<Eigen::MatrixBase<DerivedE>&>(e_out);  // Eigen's idiom for writable blocks
    if (h.size() == 0) return -std::numeric_limits<Scalar>::infinity();
    const Scalar m = beta * h.maxCoeff();  // == max(beta h): rounding is monotone and beta > 0
    e = (beta * h.derived().array() - m).exp().matrix();
    if (!std::isfinite(m)) return m;  // +inf, or NaN that must propagate
    return m + std::log(e.sum());
}

}  // namespace detail

/// G(h) = LSE(beta h) - log gamma for one state h (a row or column vector), max-shifted.
template <typename Derived>
typename Derived::Scalar reclag_gate(const Eigen::MatrixBase<Derived>& h, typename Derived::Scalar beta,
                                     typename Derived::Scalar log_gamma) {
    return reclag_gate_from_lse(log_sum_exp((beta * h.derived().array()).matrix()), log_gamma);
}

/// chi(G): 1 on the memory side (G >= 0), 0 inside the OOD basin B_0 = {G < 0}.
template <typename Scalar>
constexpr Scalar reclag_gate_open(Scalar gate) {
    return chi(gate);
}

/// The decision of Theorem 3: a state (or sample) is OOD iff G < 0 (so G = 0 is in-distribution,
/// matching chi(0) = 1 in the dynamics).
template <typename Scalar>
constexpr bool reclag_is_ood(Scalar gate) {
    return !(reclag_gate_open(gate) > Scalar(0));
}

}  // namespace reclag
