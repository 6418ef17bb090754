// reclag: area under the precision-recall curve, AUPR-In (ID positive, scores as given) and
// AUPR-Out (OOD positive, scores negated), with two named estimators.
//
// At the j-th distinct threshold (scanning from the strictest): recall R_j = TP_j / n_pos,
// precision P_j = TP_j / (TP_j + FP_j); before the first threshold, (R, P) = (0, 1).
//   AveragePrecision: sum_j (R_j - R_{j-1}) P_j            (sklearn average_precision_score)
//   Trapezoid:        sum_j (R_j - R_{j-1}) (P_j + P_{j-1}) / 2
//                     (sklearn auc(recall, precision) of precision_recall_curve; OpenOOD v1.5)
#pragma once

#include <cstdint>

#include <Eigen/Core>

#include "reclag/metrics/metrics_param.hpp"
#include "reclag/metrics/ranked_scores.hpp"

namespace reclag {

/// AUPR with `positive` as the positive class: PositiveClass::Id gives AUPR-In,
/// PositiveClass::Ood gives AUPR-Out.
inline double aupr(const RankedScores& ranked, PositiveClass positive, AuprEstimator estimator) {
    const RocCounts c = ranked.counts(positive);
    const double P = static_cast<double>(c.num_pos());
    double area = 0.0, r_prev = 0.0, p_prev = 1.0;
    std::int64_t tp_prev = 0;
    for (Index j = 0; j < c.size(); ++j) {
        const std::int64_t tp = c.tp(j);
        const double prec = static_cast<double>(tp) / static_cast<double>(tp + c.fp(j));
        const double r = static_cast<double>(tp) / P;
        if (tp != tp_prev)  // a pure-negative step adds nothing to either estimator
            area += (r - r_prev) * (estimator == AuprEstimator::AveragePrecision ? prec : 0.5 * (prec + p_prev));
        r_prev = r;
        p_prev = prec;
        tp_prev = tp;
    }
    return area;
}

/// AUPR-In: ID positive, higher score = ID. Default estimator: trapezoid (OpenOOD).
template <typename D1, typename D2>
double aupr_in(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores,
               AuprEstimator estimator = AuprEstimator::Trapezoid) {
    return aupr(RankedScores(id_scores, ood_scores, "aupr_in"), PositiveClass::Id, estimator);
}

/// AUPR-Out: OOD positive, ranking by the negated score. Default estimator: trapezoid (OpenOOD).
template <typename D1, typename D2>
double aupr_out(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores,
                AuprEstimator estimator = AuprEstimator::Trapezoid) {
    return aupr(RankedScores(id_scores, ood_scores, "aupr_out"), PositiveClass::Ood, estimator);
}

}  // namespace reclag
