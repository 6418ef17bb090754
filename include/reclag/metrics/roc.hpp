// reclag: ROC curve, AUROC and FPR at a target TPR for OOD detection.
//
// Scores: higher = more ID. With ID positive (default) the ROC point of threshold t is
//   TPR(t) = #{ID score >= t} / n_id,   FPR(t) = #{OOD score >= t} / n_ood,
// one point per distinct score (tied scores move together: a diagonal step), scanning t from
// high to low, preceded by (0, 0). AUROC is the trapezoidal area under it, which equals
// P(s_id > s_ood) + P(s_id = s_ood) / 2 (Mann-Whitney) and scikit-learn's roc_auc_score.
#pragma once

#include <cstdint>
#include <limits>

#include <Eigen/Core>

#include "reclag/metrics/metrics_param.hpp"
#include "reclag/metrics/ranked_scores.hpp"

namespace reclag {

/// A ROC curve: fpr(k), tpr(k) for k = 0 .. size-1, starting at (0, 0).
/// thresholds(k) is the score threshold of point k: with PositiveClass::Id, scores >= it are
/// predicted ID; with PositiveClass::Ood, scores <= it are flagged OOD. thresholds(0) is +inf
/// (Id) or -inf (Ood): the point that predicts nothing positive. (scikit-learn writes
/// max + 1 there instead of +inf; every other entry is the same.)
struct RocCurve {
    Eigen::VectorXd fpr;
    Eigen::VectorXd tpr;
    Eigen::VectorXd thresholds;
    PositiveClass positive = PositiveClass::Id;
    Index size() const { return fpr.size(); }
};

/// One operating point read off the ROC curve.
struct RocPoint {
    double fpr = 0.0;        ///< false-positive rate at the point
    double tpr = 0.0;        ///< true-positive rate actually reached (>= the target)
    double threshold = 0.0;  ///< score threshold of the point (rule as in RocCurve)
};

/// ROC curve (every distinct threshold, or sklearn's drop_intermediate curve) of the convention
/// p.positive. Uses p.positive and p.drop_intermediate.
inline RocCurve roc_curve(const RankedScores& ranked, const MetricsParam& p = {}) {
    p.check_param();
    const RocCounts c = ranked.counts(p.positive);
    const double P = static_cast<double>(c.num_pos()), N = static_cast<double>(c.num_neg());
    Index m = 1;
    for (Index j = 0; j < c.size(); ++j) m += (!p.drop_intermediate || c.kept_by_drop_intermediate(j)) ? 1 : 0;
    RocCurve roc;
    roc.positive = p.positive;
    roc.fpr.resize(m);
    roc.tpr.resize(m);
    roc.thresholds.resize(m);
    roc.fpr(0) = 0.0;
    roc.tpr(0) = 0.0;
    roc.thresholds(0) = p.positive == PositiveClass::Id ? std::numeric_limits<double>::infinity()
                                                        : -std::numeric_limits<double>::infinity();
    Index k = 1;
    for (Index j = 0; j < c.size(); ++j) {
        if (p.drop_intermediate && !c.kept_by_drop_intermediate(j)) continue;
        roc.fpr(k) = static_cast<double>(c.fp(j)) / N;
        roc.tpr(k) = static_cast<double>(c.tp(j)) / P;
        roc.thresholds(k) = c.threshold(j);
        ++k;
    }
    return roc;
}

template <typename D1, typename D2>
RocCurve roc_curve(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores,
                   const MetricsParam& p = {}) {
    p.check_param();
    return roc_curve(RankedScores(id_scores, ood_scores, "roc_curve", p.non_finite), p);
}

/// Area under the ROC curve, computed exactly in integers as
/// sum_j (FP_j - FP_{j-1}) (TP_j + TP_{j-1}) / (2 n_id n_ood): the trapezoid rule on the
/// every-threshold curve (dropping collinear points does not change it), ties counting 1/2.
/// The same under both positive-class conventions.
inline double auroc(const RankedScores& ranked) {
    const RocCounts c = ranked.counts(PositiveClass::Id);
    std::int64_t twice_u = 0, tp_prev = 0, fp_prev = 0;
    for (Index j = 0; j < c.size(); ++j) {
        const std::int64_t tp = c.tp(j), fp = c.fp(j);
        twice_u += (fp - fp_prev) * (tp + tp_prev);
        tp_prev = tp;
        fp_prev = fp;
    }
    return static_cast<double>(twice_u) / (2.0 * static_cast<double>(c.num_pos()) * static_cast<double>(c.num_neg()));
}

template <typename D1, typename D2>
double auroc(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores) {
    return auroc(RankedScores(id_scores, ood_scores, "auroc"));
}

/// The first ROC point (scanning from the strictest threshold) whose TPR >= p.tpr, on the
/// every-threshold curve or, with p.drop_intermediate, on sklearn's dropped curve: the same
/// point as `fpr[argmax(tpr >= p.tpr)]` of sklearn roc_curve. TPR is compared as
/// double(TP) / double(n_pos) >= p.tpr, sklearn's exact comparison.
/// With ID positive and every threshold, the point's threshold is threshold_at_tpr(id, p.tpr).
inline RocPoint roc_point_at_tpr(const RankedScores& ranked, const MetricsParam& p = {}) {
    p.check_param();
    const RocCounts c = ranked.counts(p.positive);
    const double P = static_cast<double>(c.num_pos()), N = static_cast<double>(c.num_neg());
    for (Index j = 0; j < c.size(); ++j) {
        if (p.drop_intermediate && !c.kept_by_drop_intermediate(j)) continue;
        const double tpr = static_cast<double>(c.tp(j)) / P;
        if (tpr >= p.tpr) return RocPoint{static_cast<double>(c.fp(j)) / N, tpr, c.threshold(j)};
    }
    // Unreachable for tpr <= 1: the last point has TPR exactly 1.
    return RocPoint{1.0, 1.0, c.threshold(c.size() - 1)};
}

/// FPR at the target TPR p.tpr (default FPR95), conventions as roc_point_at_tpr.
inline double fpr_at_tpr(const RankedScores& ranked, const MetricsParam& p = {}) {
    return roc_point_at_tpr(ranked, p).fpr;
}

template <typename D1, typename D2>
double fpr_at_tpr(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores,
                  const MetricsParam& p = {}) {
    p.check_param();
    return fpr_at_tpr(RankedScores(id_scores, ood_scores, "fpr_at_tpr", p.non_finite), p);
}

/// FPR at TPR `tpr`, ID positive, every threshold (the DESIGN.md default).
template <typename D1, typename D2>
double fpr_at_tpr(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores, double tpr) {
    MetricsParam p;
    p.tpr = tpr;
    return fpr_at_tpr(id_scores, ood_scores, p);
}

}  // namespace reclag
