// reclag: GEN, the generalised-entropy score (Liu, Lochman & Zach, CVPR 2023).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// GEN: p = softmax(z), and over the M largest probabilities
///   score(x) = -sum_{j in top-M} p_j^gamma (1 - p_j)^gamma          (higher = more ID).
/// For the argmax class 1 - p is computed as (sum of the other exp(z_j - max z)) / sum_j exp(z_j - max z)
/// instead of by subtraction: t^gamma has an infinite slope at 0, and for a confident sample
/// 1 - p_max is far below the rounding of p_max (1e-38 when p_max == 1.0 in double), so the
/// subtraction would drop a term worth ~1e-4. Computed in double internally for both Scalars
/// (float's subnormal range would lose the tiny probabilities, whose p^0.1 still counts);
/// the result is cast to Scalar.
template <typename Scalar_>
class GenScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::GenScorer: Scalar must be float or double");
    static constexpr const char* name = "gen";

    struct Param {
        /// Exponent gamma of the generalised entropy (OpenOOD default 0.1).
        double gamma = 0.1;
        /// Number of largest probabilities summed; min(M, C) are used (OpenOOD default 100).
        Index top_m = 100;
        void check_param() const {
            check_positive("GenScorer::Param", "gamma", gamma);
            if (top_m < 1) throw_invalid("GenScorer::Param", "top_m must be >= 1 (got ", top_m, ")");
        }
    };

    explicit GenScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// Records C from the fit split's logits (a split without logits leaves C free).
    void fit(const FeatureView<Scalar>& id_fit) {
        check_nonempty("GenScorer::fit", "the fit split", id_fit.rows());
        num_classes_ = id_fit.has_logits() ? id_fit.num_classes() : 0;
        fitted_ = true;
    }
    /// The head is not used.
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>&) { fit(id_fit); }

    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        const char* where = "GenScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.logits(split, num_classes_ > 0 ? num_classes_ : split.num_classes());
        check_size(where, "out", out.size(), split.rows());
        const auto z = split.logits();
        const Index c = z.cols();
        const Index m = std::min(param_.top_m, c);
        const double g = param_.gamma;
        // log space, in double whatever Scalar: p_j^g q_j^g = exp(g (log p_j + log q_j)) with
        // log p_j = (z_j - zmax) - log total (max-shifted), q_j = 1 - p_j, except for a
        // maximum, whose q = (sum of the other e_j) / total avoids 1 - p ~ 0 (with tied maxima
        // p <= 1/2 and both forms agree to rounding).
        if (m == c) {
            // every class counts: no sort; blocks of rows with whole-array exp/log (logit_blocks.hpp)
            detail::for_logit_blocks<double>(z, c + 5, [&](Index begin, auto& blk, auto& zmax, auto& aux) {
                const Index rows = blk.rows();
                auto e = aux.leftCols(c);     // e_j = exp(z_j - zmax); later reused for log q_j
                auto total = aux.col(c);      // sum_j e_j
                auto logt = aux.col(c + 1);   // log total
                auto others = aux.col(c + 2); // sum of e_j over the non-maximal j; then log q of a maximum
                auto ties = aux.col(c + 3);   // number of j with z_j == zmax (1 unless tied)
                auto acc = aux.col(c + 4);    // sum_j p_j^g q_j^g
                total.setZero();
                others.setZero();
                ties.setZero();
                for (Index j = 0; j < c; ++j) {
                    blk.col(j) -= zmax;  // d_j <= 0, == 0 exactly for a maximum
                    e.col(j) = blk.col(j).exp();
                    total += e.col(j);
                    // plain loops: GCC vectorises these selects (Eigen 3.4's select does not)
                    const double* d = blk.col(j).data();
                    const double* ej = e.col(j).data();
                    double* ot = others.data();
                    double* ti = ties.data();
                    for (Index i = 0; i < rows; ++i) {
                        const bool top = d[i] == 0.0;
                        ot[i] += top ? 0.0 : ej[i];
                        ti[i] += top ? 1.0 : 0.0;
                    }
                }
                logt = total.log();
                // q of a maximum = (sum of the other e) / total: the non-maximal e plus the other
                // tied maxima (e = 1 each); for a single maximum exactly `others`
                others = (others + (ties - 1.0)).log() - logt;
                acc.setZero();
                for (Index j = 0; j < c; ++j) {
                    e.col(j) = (1.0 - e.col(j) / total).log();  // log(1 - p_j), fine below the maximum
                    const double* d = blk.col(j).data();
                    const double* lqm = others.data();
                    double* lq = e.col(j).data();
                    for (Index i = 0; i < rows; ++i) lq[i] = d[i] == 0.0 ? lqm[i] : lq[i];
                    acc += (g * (blk.col(j) - logt + e.col(j))).exp();  // exp(g (log p_j + log q_j))
                }
                out.segment(begin, rows) = (-acc).template cast<Scalar>().matrix();
            });
            checks.scores(out);
            return;
        }
        std::vector<double> e(static_cast<std::size_t>(c));
        std::vector<double> p(static_cast<std::size_t>(c));
        std::vector<double> q(static_cast<std::size_t>(c));  // 1 - p
        std::vector<Index> order(static_cast<std::size_t>(c));
        for (Index i = 0; i < z.rows(); ++i) {
            Index arg = 0;
            for (Index j = 1; j < c; ++j)
                if (z(i, j) > z(i, arg)) arg = j;
            const double zmax = static_cast<double>(z(i, arg));
            double total = 0.0;
            for (Index j = 0; j < c; ++j) {
                e[std::size_t(j)] = std::exp(static_cast<double>(z(i, j)) - zmax);
                total += e[std::size_t(j)];
            }
            double others = 0.0;
            for (Index j = 0; j < c; ++j)
                if (j != arg) others += e[std::size_t(j)];
            for (Index j = 0; j < c; ++j) {
                p[std::size_t(j)] = e[std::size_t(j)] / total;
                q[std::size_t(j)] = j == arg ? others / total : 1.0 - p[std::size_t(j)];
            }
            for (Index j = 0; j < c; ++j) order[std::size_t(j)] = j;
            std::partial_sort(order.begin(), order.begin() + m, order.end(),
                              [&](Index a, Index b) { return p[std::size_t(a)] > p[std::size_t(b)]; });
            double s = 0.0;
            for (Index r = 0; r < m; ++r) {
                const std::size_t j = std::size_t(order[std::size_t(r)]);
                s += std::exp(g * (std::log(p[j]) + std::log(q[j])));  // log space: one exp, two logs
            }
            out(i) = static_cast<Scalar>(-s);
        }
        checks.scores(out);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }

    bool is_fitted() const { return fitted_; }
    const Param& param() const { return param_; }

private:
    Param param_;
    Index num_classes_ = 0;
    bool fitted_ = false;
};

using GenScorerf = GenScorer<float>;
using GenScorerd = GenScorer<double>;

}  // namespace reclag
