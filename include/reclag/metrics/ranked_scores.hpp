// reclag: the sorted skeleton every OOD metric is read from. ID and OOD scores are sorted once
// (each array on its own, plain doubles, no comparator object), merged into the distinct score
// values in descending order with cumulative ID / OOD counts, and every metric (ROC, AUROC,
// FPR at TPR, both AUPRs, both positive-class conventions) is a linear scan over that.
// Build one RankedScores and query it many times when several metrics are needed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/metrics/metrics_param.hpp"

namespace reclag {
namespace detail {

/// Copies a score vector (any float or double Eigen vector expression, row or column) into
/// `out` as doubles from position `offset` on (out is resized to offset + size), checking it is
/// non-empty, vector-shaped and finite; errors name `where` and `what` and, for a non-finite
/// value, its index. With NonFinitePolicy::ScoreAsOod a non-finite value becomes
/// std::numeric_limits<double>::lowest() (below every finite float or double score) instead.
template <typename Derived>
void copy_scores(const char* where, const char* what, const Eigen::MatrixBase<Derived>& s, std::vector<double>& out,
                 std::size_t offset = 0, NonFinitePolicy policy = NonFinitePolicy::Reject) {
    using Scalar = typename Derived::Scalar;
    static_assert(is_supported_scalar_v<Scalar>, "reclag metrics: scores must be float or double");
    check_nonempty(where, what, s.size());
    if (s.rows() != 1 && s.cols() != 1)
        throw_invalid(where, what, " has shape ", s.rows(), "x", s.cols(), ", expected a vector");
    out.resize(offset + static_cast<std::size_t>(s.size()));
    std::size_t k = offset;
    const Derived& d = s.derived();
    for (Index j = 0; j < d.cols(); ++j)
        for (Index i = 0; i < d.rows(); ++i) out[k++] = static_cast<double>(d.coeff(i, j));
    for (std::size_t i = offset; i < out.size(); ++i)
        if (!std::isfinite(out[i])) {
            if (policy != NonFinitePolicy::ScoreAsOod)
                throw_invalid(where, what, " has a non-finite value (", out[i], ") at index ", i - offset);
            out[i] = std::numeric_limits<double>::lowest();
        }
}

template <typename Derived>
std::vector<double> copy_scores(const char* where, const char* what, const Eigen::MatrixBase<Derived>& s) {
    std::vector<double> out;
    copy_scores(where, what, s, out);
    return out;
}

/// Smallest k in [1, n] with double(k) / double(n) >= rate, the very comparison scikit-learn
/// makes on `tps / tps[-1]`, so that our thresholds land on the same ROC point.
inline Index min_count_for_rate(Index n, double rate) {
    const double dn = static_cast<double>(n);
    Index k = static_cast<Index>(std::ceil(rate * dn));
    k = std::min(std::max(k, Index(1)), n);
    while (k > 1 && static_cast<double>(k - 1) / dn >= rate) --k;
    while (k < n && static_cast<double>(k) / dn < rate) ++k;
    return k;
}

}  // namespace detail

/// The (TP, FP) counts of one ranking direction, point j = 0 .. size()-1 being the j-th
/// distinct threshold. A light view into a RankedScores (do not outlive it).
///  - PositiveClass::Id : thresholds scanned from high to low score; point j predicts ID for
///    score >= threshold(j); tp = ID kept, fp = OOD accepted.
///  - PositiveClass::Ood: thresholds scanned from low to high score (scores negated); point j
///    flags OOD for score <= threshold(j); tp = OOD caught, fp = ID rejected.
/// The last point always has tp = num_pos(), fp = num_neg(). The implicit point before j = 0
/// is (0, 0).
class RocCounts {
public:
    RocCounts(const std::vector<double>& thr, const std::vector<std::int64_t>& cum_id,
              const std::vector<std::int64_t>& cum_ood, PositiveClass positive)
        : thr_(&thr), cum_id_(&cum_id), cum_ood_(&cum_ood), ood_(positive == PositiveClass::Ood),
          g_(static_cast<Index>(thr.size())) {}

    Index size() const { return g_; }
    std::int64_t num_pos() const { return ood_ ? cum_ood_->back() : cum_id_->back(); }
    std::int64_t num_neg() const { return ood_ ? cum_id_->back() : cum_ood_->back(); }
    double threshold(Index j) const { return (*thr_)[static_cast<std::size_t>(ood_ ? g_ - 1 - j : j)]; }
    // cum_*[g + 1] counts scores >= thr[g]; cum_*[0] = 0. Scores <= thr[g] are then
    // total - cum_*[g], which is how the reversed (OOD-positive) direction is read.
    std::int64_t tp(Index j) const {
        return ood_ ? cum_ood_->back() - (*cum_ood_)[static_cast<std::size_t>(g_ - 1 - j)]
                    : (*cum_id_)[static_cast<std::size_t>(j + 1)];
    }
    std::int64_t fp(Index j) const {
        return ood_ ? cum_id_->back() - (*cum_id_)[static_cast<std::size_t>(g_ - 1 - j)]
                    : (*cum_ood_)[static_cast<std::size_t>(j + 1)];
    }
    /// Whether point j survives scikit-learn's `drop_intermediate=True`: the end points always;
    /// an interior point iff the second difference of the FP counts or of the TP counts at it
    /// is nonzero (sklearn 1.2 `roc_curve`, applied before the (0, 0) point is prepended).
    bool kept_by_drop_intermediate(Index j) const {
        if (g_ <= 2 || j == 0 || j == g_ - 1) return true;
        return fp(j - 1) - 2 * fp(j) + fp(j + 1) != 0 || tp(j - 1) - 2 * tp(j) + tp(j + 1) != 0;
    }

private:
    const std::vector<double>* thr_;
    const std::vector<std::int64_t>* cum_id_;
    const std::vector<std::int64_t>* cum_ood_;
    bool ood_;
    Index g_;
};

/// ID and OOD scores merged into their distinct values (descending) with cumulative counts.
/// Cost: two std::sort calls on plain doubles (together cheaper than sorting the concatenation)
/// and one linear merge. Scores may be float or double (held as double, exactly).
class RankedScores {
public:
    /// Throws reclag::invalid_argument (messages begin with `where`) for an empty or
    /// non-vector input or, with `policy` Reject (default), a non-finite score, naming
    /// id_scores / ood_scores and the index. With ScoreAsOod a non-finite score is ranked
    /// lowest (see MetricsParam::non_finite).
    template <typename D1, typename D2>
    RankedScores(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores,
                 const char* where = "RankedScores", NonFinitePolicy policy = NonFinitePolicy::Reject) {
        // Ascending, behind a -inf sentinel at index 0 that ends the merge without bounds checks.
        const double sentinel = -std::numeric_limits<double>::infinity();
        std::vector<double> id(1, sentinel), ood(1, sentinel);
        detail::copy_scores(where, "id_scores", id_scores, id, 1, policy);
        detail::copy_scores(where, "ood_scores", ood_scores, ood, 1, policy);
        std::sort(id.begin() + 1, id.end());
        std::sort(ood.begin() + 1, ood.end());
        merge(id, ood);
    }

    std::int64_t num_id() const { return cum_id_.back(); }
    std::int64_t num_ood() const { return cum_ood_.back(); }
    /// Number of distinct score values (= ROC points without the (0, 0) start).
    Index num_thresholds() const { return static_cast<Index>(thr_.size()); }
    /// Distinct scores, descending.
    const std::vector<double>& thresholds() const { return thr_; }
    /// cum_id()[g + 1] = number of ID scores >= thresholds()[g]; cum_id()[0] = 0.
    const std::vector<std::int64_t>& cum_id() const { return cum_id_; }
    /// cum_ood()[g + 1] = number of OOD scores >= thresholds()[g]; cum_ood()[0] = 0.
    const std::vector<std::int64_t>& cum_ood() const { return cum_ood_; }

    RocCounts counts(PositiveClass positive) const { return RocCounts(thr_, cum_id_, cum_ood_, positive); }

private:
    // Consumes one score per step from the top of the two ascending arrays (ID first on a tie)
    // and closes a group whenever the next score differs. Written without data-dependent
    // branches: ID and OOD scores interleave at random, and a mispredicted branch per score
    // would cost as much as the sort's comparisons. Slot g is rewritten until the group closes.
    void merge(const std::vector<double>& id, const std::vector<double>& ood) {
        const std::size_t n = id.size() + ood.size() - 2;
        thr_.resize(n);
        cum_id_.resize(n + 1);
        cum_ood_.resize(n + 1);
        cum_id_[0] = 0;
        cum_ood_[0] = 0;
        const double* a = id.data();
        const double* b = ood.data();
        std::size_t i = id.size() - 1, o = ood.size() - 1, g = 0;
        std::int64_t ci = 0, co = 0;
        for (std::size_t step = 0; step < n; ++step) {
            const bool take_id = a[i] >= b[o];
            const double v = take_id ? a[i] : b[o];
            i -= take_id ? 1 : 0;
            o -= take_id ? 0 : 1;
            ci += take_id ? 1 : 0;
            co += take_id ? 0 : 1;
            thr_[g] = v;
            cum_id_[g + 1] = ci;
            cum_ood_[g + 1] = co;
            const double next = a[i] >= b[o] ? a[i] : b[o];  // -inf once both are used up
            g += next != v ? 1 : 0;
        }
        thr_.resize(g);
        cum_id_.resize(g + 1);
        cum_ood_.resize(g + 1);
    }

    std::vector<double> thr_;
    std::vector<std::int64_t> cum_id_;
    std::vector<std::int64_t> cum_ood_;
};

}  // namespace reclag
