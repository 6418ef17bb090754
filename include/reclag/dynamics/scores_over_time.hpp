// reclag: detection scores along the adiabatic dynamics (the paper's Figs. 4-5, "Time Evolution").
//
// For each sample x: v_0 = x~ (scaled to L2 norm `norm`; 0 = unscaled), then K adiabatic updates
// (Eq. 12, raw states, no re-normalisation). Two paths, same xi:
//   reclag(k, i) = r(v_k) = LSE(beta xi v_k)          along the RecLag path (gate log gamma),
//                  so G(v_k) = reclag(k, i) - log gamma and a state in the origin attractor scores
//                  log N_H;
//   mhe(k, i)    = -MHE(v_k) = LSE(mhe_beta xi v_k)   along the vanilla (LogSumExp) path with
//                  the same beta (Eq. 9 negated: higher = more in-distribution).
#pragma once

#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/dynamics/hopfield_dynamics.hpp"
#include "reclag/lagrangian/log_sum_exp.hpp"
#include "reclag/lagrangian/quadratic.hpp"
#include "reclag/lagrangian/rectified.hpp"
#include "reclag/score/reclag_score.hpp"

namespace reclag {

template <typename Scalar>
struct ScoresOverTimeParam {
    /// Number of adiabatic updates K (>= 0); the result has K + 1 rows (k = 0..K).
    Index steps = 5;
    /// beta of both dynamics and of the RecLag score (> 0).
    Scalar beta = Scalar(5);
    /// L2 radius of v_0 (>= 0; 0 = raw features).
    Scalar norm = Scalar(10);
    /// log gamma of the RecLag path (finite).
    Scalar log_gamma = Scalar(0);
    /// beta inside the MHE-type score (> 0). Eq. 9 has none (1); the official MHE code uses 0.01.
    Scalar mhe_beta = Scalar(1);

    void check_param() const {
        const char* where = "ScoresOverTimeParam";
        if (steps < 0) throw_invalid(where, "steps must be >= 0 (got ", steps, ")");
        check_positive(where, "beta", beta);
        check_positive(where, "mhe_beta", mhe_beta);
        if (!(norm >= Scalar(0)) || !std::isfinite(static_cast<double>(norm)))
            throw_invalid(where, "norm must be finite and >= 0 (got ", norm, ")");
        if (!std::isfinite(static_cast<double>(log_gamma))) throw_invalid(where, "log_gamma must be finite (got ", log_gamma, ")");
    }
};

/// Each matrix is (K + 1) x n: row k holds the scores of every sample's state after k updates.
template <typename Scalar>
struct ScoresOverTime {
    RowMatrix<Scalar> reclag;  ///< r(v_k) along the RecLag path
    RowMatrix<Scalar> mhe;     ///< LSE(mhe_beta xi v_k) along the vanilla path
};

template <typename DerivedX, typename DerivedXi, typename Scalar = typename DerivedX::Scalar>
ScoresOverTime<Scalar> scores_over_time(const Eigen::MatrixBase<DerivedX>& x, const Eigen::MatrixBase<DerivedXi>& xi,
                                        const ScoresOverTimeParam<Scalar>& p = {}) {
    p.check_param();
    check_cols("scores_over_time", "x", x.cols(), xi.cols());
    RowMatrix<Scalar> v0 = x.template cast<Scalar>();
    if (p.norm > Scalar(0)) normalize_rows_inplace(v0, p.norm);
    using Q = QuadraticLagrangian<Scalar>;
    const HopfieldDynamics<RecLagLagrangian<Scalar>, Q> rec(
        xi, RecLagLagrangian<Scalar>(typename RecLagLagrangian<Scalar>::Param{p.beta, p.log_gamma}));
    const HopfieldDynamics<LogSumExpLagrangian<Scalar>, Q> van(
        xi, LogSumExpLagrangian<Scalar>(typename LogSumExpLagrangian<Scalar>::Param{p.beta}));
    const std::vector<RowMatrix<Scalar>> tr = rec.adiabatic_trajectory(v0, p.steps);
    const std::vector<RowMatrix<Scalar>> tv = van.adiabatic_trajectory(v0, p.steps);
    ScoresOverTime<Scalar> out;
    out.reclag.resize(p.steps + 1, x.rows());
    out.mhe.resize(p.steps + 1, x.rows());
    const RowMatrix<Scalar> xis = xi.template cast<Scalar>();
    for (Index k = 0; k <= p.steps; ++k) {
        // raw states: norm = 0 (no re-normalisation after v_0)
        out.reclag.row(k) = reclag_scores(tr[static_cast<std::size_t>(k)], xis, p.beta, Scalar(0)).transpose();
        out.mhe.row(k) = reclag_scores(tv[static_cast<std::size_t>(k)], xis, p.mhe_beta, Scalar(0)).transpose();
    }
    return out;
}

}  // namespace reclag
