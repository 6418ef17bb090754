// reclag: class-conditional Gaussian (Mahalanobis) OOD score (Lee, Lee, Lee & Shin, NeurIPS 2018).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// Mahalanobis (MDS): class means mu_c over ALL ID-fit rows of label c (labels 0..C-1, C =
/// max label + 1, every class present), one shared covariance of the class-centred rows
/// (sklearn EmpiricalCovariance(assume_centered=False): the centred rows are mean-subtracted
/// once more and divided by n_fit), and
///   score(x) = max_c -(x - mu_c)^T P (x - mu_c)          (higher = more ID).
/// P is never formed for scoring. Two solvers:
///  - Solver::pinvh (default, = sklearn's precision_ = scipy.linalg.pinvh): eigen-decompose
///    Sigma, keep eigenvalues with |lambda| > D eps max|lambda| and sum (v_j.(x - mu_c))^2 / lambda_j.
///    Handles a singular covariance (dead features) exactly as the reference does.
///  - Solver::cholesky: LLT of Sigma, score -||L^{-1}(x - mu_c)||^2 with L^{-1} formed once
///    at fit (scoring is one GEMM per block of rows, as for pinvh); throws when Sigma is (numerically) singular: pick pinvh or a shrinkage > 0.
/// Param::shrinkage s replaces Sigma by (1 - s) Sigma + s tr(Sigma)/D I (sklearn ShrunkCovariance).
/// Fit and score run in double for both Scalars (the covariance's condition number, 2.4e4 on
/// the FMNIST features, would cost float several digits); scores are cast to Scalar.
template <typename Scalar_>
class MahalanobisScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::MahalanobisScorer: Scalar must be float or double");
    static constexpr const char* name = "mahalanobis";
    using MatrixD = RowMatrix<double>;
    using Workspace = ScoreWorkspace<Scalar>;

    enum class Solver { pinvh, cholesky };

    struct Param {
        /// How the covariance is inverted (see the class comment). Default pinvh = the reference.
        Solver solver = Solver::pinvh;
        /// Shrinkage towards tr(Sigma)/D I, in [0, 1]; 0 (default) = the empirical covariance.
        double shrinkage = 0.0;
        /// Query rows converted to double at a time while scoring.
        Index block_rows = 1024;
        void check_param() const {
            if (!(shrinkage >= 0.0 && shrinkage <= 1.0))
                throw_invalid("MahalanobisScorer::Param", "shrinkage must be in [0, 1] (got ", shrinkage, ")");
            if (block_rows < 1) throw_invalid("MahalanobisScorer::Param", "block_rows must be >= 1 (got ", block_rows, ")");
        }
    };

    explicit MahalanobisScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// Needs labels (int64, 0..C-1, each class at least once).
    void fit(const FeatureView<Scalar>& id_fit) {
        const char* where = "MahalanobisScorer::fit";
        check_nonempty(where, "id_fit", id_fit.rows());
        check_nonempty(where, "features (columns)", id_fit.feature_dim());
        if (!id_fit.has_labels()) throw_invalid(where, "the ID-fit split has no labels");
        check_finite(where, "features", id_fit.features());
        const auto y = id_fit.labels();
        const Index n = id_fit.rows();
        const Index d = id_fit.feature_dim();
        if (y.minCoeff() < 0) throw_invalid(where, "labels has a negative value (", y.minCoeff(), ")");
        // Checked before C x D means are allocated: a stray label of 1e12 must not ask for 8 TB.
        if (y.maxCoeff() >= n)
            throw_invalid(where, "labels has the value ", y.maxCoeff(), " but there are only ", n,
                          " ID-fit rows, so classes 0..", y.maxCoeff(), " cannot all be present");
        const Index c = static_cast<Index>(y.maxCoeff()) + 1;
        const MatrixD x = id_fit.features().template cast<double>();

        Eigen::VectorXd counts = Eigen::VectorXd::Zero(c);
        MatrixD means = MatrixD::Zero(c, d);
        for (Index i = 0; i < n; ++i) {
            means.row(Index(y(i))) += x.row(i);
            counts(Index(y(i))) += 1.0;
        }
        for (Index k = 0; k < c; ++k) {
            if (counts(k) == 0.0) throw_invalid(where, "class ", k, " has no ID-fit rows (labels must cover 0..", c - 1, ")");
            means.row(k) /= counts(k);
        }
        MatrixD centred(n, d);
        for (Index i = 0; i < n; ++i) centred.row(i) = x.row(i) - means.row(Index(y(i)));
        const Eigen::RowVectorXd grand = centred.colwise().mean();  // ~0; sklearn subtracts it anyway
        centred.rowwise() -= grand;
        Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(d, d);
        cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.transpose(), 1.0 / static_cast<double>(n));
        cov.triangularView<Eigen::StrictlyUpper>() = cov.transpose();
        if (param_.shrinkage > 0.0) {
            const double mu = cov.trace() / static_cast<double>(d);
            cov *= 1.0 - param_.shrinkage;
            cov.diagonal().array() += param_.shrinkage * mu;
        }

        if (param_.solver == Solver::pinvh) {
            Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
            if (eig.info() != Eigen::Success) throw_invalid(where, "the covariance eigen-decomposition failed");
            const Eigen::VectorXd& lambda = eig.eigenvalues();
            const double cutoff = static_cast<double>(d) * std::numeric_limits<double>::epsilon() * lambda.cwiseAbs().maxCoeff();
            Index r = 0;
            for (Index j = 0; j < d; ++j) r += std::abs(lambda(j)) > cutoff ? 1 : 0;
            basis_.resize(d, r);
            inv_lambda_.resize(r);
            for (Index j = 0, k = 0; j < d; ++j)
                if (std::abs(lambda(j)) > cutoff) {
                    basis_.col(k) = eig.eigenvectors().col(j);
                    inv_lambda_(k++) = 1.0 / lambda(j);
                }
            rank_ = r;
            projected_means_ = means * basis_;  // C x r
        } else {
            const Eigen::LLT<Eigen::MatrixXd> llt(cov);
            const double max_diag = cov.diagonal().cwiseAbs().maxCoeff();
            const double min_pivot = llt.info() == Eigen::Success
                                         ? llt.matrixLLT().diagonal().array().square().minCoeff()
                                         : 0.0;
            if (llt.info() != Eigen::Success || !(min_pivot > static_cast<double>(d) * std::numeric_limits<double>::epsilon() * max_diag))
                throw_invalid(where, "the covariance (", d, " x ", d, ") is singular or not positive definite; "
                              "use Solver::pinvh or a shrinkage > 0");
            rank_ = d;
            // Keep only L^{-1} (an Eigen::LLT member would be copied with an indeterminate state
            // before fit(), g++ -Wmaybe-uninitialized): scoring multiplies each block by it, one
            // GEMM as for pinvh, instead of a triangular solve per call (which allocates its own
            // packing buffers). L is well conditioned next to Sigma (cond(L) = sqrt(cond(Sigma))),
            // so the explicit triangular inverse costs no accuracy that matters here.
            chol_inverse_ = llt.matrixL().solve(MatrixD::Identity(d, d));
            projected_means_.noalias() = means * chol_inverse_.transpose();  // row c = (L^{-1} mu_c)^T
        }
        means_ = std::move(means);
        cov_ = std::move(cov);
        fitted_ = true;
    }
    /// The head is not used.
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>&) { fit(id_fit); }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "MahalanobisScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.features(split, means_.cols());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        const Index n = x.rows(), d = x.cols();
        const Index c = means_.rows();
        const bool pinvh = param_.solver == Solver::pinvh;
        // The projection to the coordinates where P is diagonal, as the B of C = A B^T:
        // pinvh: B = V^T (r x D, the column-major V's own storage); cholesky: B = L^{-1}.
        const Eigen::Map<const MatrixD> projection = pinvh ? Eigen::Map<const MatrixD>(basis_.data(), rank_, d)
                                                           : Eigen::Map<const MatrixD>(chol_inverse_.data(), d, d);
        const Index capacity = std::min(param_.block_rows, n);
        auto wide = ws.template matrix<double>(0, capacity, d);
        auto proj = ws.template matrix<double>(1, capacity, rank_);
        for (Index begin = 0; begin < n; begin += param_.block_rows) {
            const Index rows = std::min(param_.block_rows, n - begin);
            auto wide_rows = wide.topRows(rows);
            auto proj_rows = proj.topRows(rows);
            wide_rows = x.middleRows(begin, rows).template cast<double>();
            ws.gemm_double().multiply_transposed(wide_rows, projection, proj_rows);
            for (Index i = 0; i < rows; ++i) {
                double best = -std::numeric_limits<double>::infinity();
                for (Index k = 0; k < c; ++k) {
                    const auto diff = (proj_rows.row(i) - projected_means_.row(k)).array();
                    const double m = pinvh ? (diff.square() * inv_lambda_.transpose().array()).sum() : diff.square().sum();
                    best = std::max(best, -m);
                }
                out(begin + i) = static_cast<Scalar>(best);
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
    /// C x D class means (double).
    const MatrixD& class_means() const { return means_; }
    /// D x D shared covariance (after shrinkage), double.
    const Eigen::MatrixXd& covariance() const { return cov_; }
    /// Rank of the precision used (D for the Cholesky solver).
    Index rank() const { return rank_; }
    /// The precision matrix P, formed explicitly for inspection only (scoring never uses it).
    Eigen::MatrixXd precision() const {
        if (!fitted_) throw_invalid("MahalanobisScorer::precision", "called before fit()");
        if (param_.solver == Solver::pinvh) return basis_ * inv_lambda_.asDiagonal() * basis_.transpose();
        return chol_inverse_.transpose() * chol_inverse_;  // P = L^-T L^-1
    }

private:
    Param param_;
    MatrixD means_;
    Eigen::MatrixXd cov_;
    Eigen::MatrixXd basis_;         // pinvh: D x r kept eigenvectors
    Eigen::VectorXd inv_lambda_;    // pinvh: 1 / kept eigenvalues
    MatrixD chol_inverse_;          // cholesky: L^{-1} with cov = L L^T (lower triangular)
    MatrixD projected_means_;       // C x r (pinvh) or C x D (cholesky)
    Index rank_ = 0;
    bool fitted_ = false;
};

using MahalanobisScorerf = MahalanobisScorer<float>;
using MahalanobisScorerd = MahalanobisScorer<double>;

}  // namespace reclag
