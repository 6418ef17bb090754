// reclag: deep nearest-neighbour OOD score (Sun, Ming, Zhu & Li, ICML 2022).
#pragma once

#include <algorithm>
#include <cmath>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// KNN: features are L2-normalised (z = x / ||x||; a zero row stays zero, no epsilon) and
///   score(x) = -d_k(x)      (or -d_k(x)^2 with Param::squared, OpenOOD's faiss IndexFlatL2 value)
/// where d_k is the Euclidean distance from z(x) to its k-th nearest normalised ID-fit row.
/// Exact search: squared distances ||a||^2 + ||b||^2 - 2 a.b (clamped at 0) from one GEMM per
/// block of `block_rows` query rows, so memory is block_rows x n_fit scalars, never
/// n_test x n_fit; the k-th smallest per row by nth_element (ties between equal distances do
/// not matter: the k-th VALUE is defined). For unit vectors the GEMM form loses about
/// eps / d^2 relative accuracy to cancellation, negligible for the k-th distance (d^2 ~ 0.1)
/// in double and ~1e-5 in float.
template <typename Scalar_>
class KnnScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::KnnScorer: Scalar must be float or double");
    static constexpr const char* name = "knn";
    using Workspace = ScoreWorkspace<Scalar>;

    struct Param {
        /// Which neighbour: the k-th nearest ID-fit row (Sun et al. / OpenOOD default 50).
        Index k = 50;
        /// false: -d_k (the paper); true: -d_k^2 (OpenOOD/faiss). Same ranking, same metrics.
        bool squared = false;
        /// Query rows per GEMM block: the distance buffer holds block_rows x n_fit scalars.
        Index block_rows = 256;
        void check_param() const {
            if (k < 1) throw_invalid("KnnScorer::Param", "k must be >= 1 (got ", k, ")");
            if (block_rows < 1) throw_invalid("KnnScorer::Param", "block_rows must be >= 1 (got ", block_rows, ")");
        }
    };

    explicit KnnScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// Stores the normalised ID-fit features (a copy). Throws if k > n_fit.
    void fit(const FeatureView<Scalar>& id_fit) {
        const char* where = "KnnScorer::fit";
        check_nonempty(where, "id_fit", id_fit.rows());
        check_nonempty(where, "features (columns)", id_fit.feature_dim());
        check_finite(where, "features", id_fit.features());
        if (param_.k > id_fit.rows())
            throw_invalid(where, "k = ", param_.k, " exceeds the number of ID-fit rows (", id_fit.rows(), ")");
        bank_ = normalize_rows(id_fit.features(), Scalar(1));
        bank_sq_ = bank_.rowwise().squaredNorm();
        fitted_ = true;
    }
    /// The head is not used.
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>&) { fit(id_fit); }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "KnnScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.features(split, bank_.cols());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        const Index n = x.rows(), n_fit = bank_.rows();
        const Index kth = param_.k - 1;
        const Index capacity = std::min(param_.block_rows, n);
        auto q = ws.matrix(0, capacity, x.cols());  // the block's normalised rows
        auto dist = ws.matrix(1, capacity, n_fit);   // their squared distances to the bank
        for (Index begin = 0; begin < n; begin += param_.block_rows) {
            const Index rows = std::min(param_.block_rows, n - begin);
            auto q_rows = q.topRows(rows);
            auto dist_rows = dist.topRows(rows);
            q_rows = x.middleRows(begin, rows);
            normalize_rows_inplace(q_rows, Scalar(1));
            ws.gemm().multiply_transposed(q_rows, bank_, dist_rows);  // q . b; times -2 below (exact)
            for (Index i = 0; i < rows; ++i) {
                const Scalar q_sq = q_rows.row(i).squaredNorm();
                Scalar* row = dist_rows.row(i).data();
                for (Index j = 0; j < n_fit; ++j) row[j] = std::max(Scalar(0), Scalar(-2) * row[j] + q_sq + bank_sq_(j));
                std::nth_element(row, row + kth, row + n_fit);
                const Scalar d2 = row[kth];
                out(begin + i) = param_.squared ? -d2 : -std::sqrt(d2);
            }
        }
        checks.scores(out);
    }
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        Workspace ws;
        score(split, out, ws);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }

    bool is_fitted() const { return fitted_; }
    const Param& param() const { return param_; }
    /// The normalised ID-fit features (n_fit x D).
    const RowMatrix<Scalar>& bank() const { return bank_; }

private:
    Param param_;
    RowMatrix<Scalar> bank_;
    Vector<Scalar> bank_sq_;
    bool fitted_ = false;
};

using KnnScorerf = KnnScorer<float>;
using KnnScorerd = KnnScorer<double>;

}  // namespace reclag
