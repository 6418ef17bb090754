// reclag: ViM, virtual-logit matching (Wang, Li, Feng & Zhang, CVPR 2022).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Core>
#include <Eigen/QR>
#include <Eigen/SVD>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// ViM. Fit: origin u = -pinv(W) b (so that W u + b = 0); the principal subspace of the
/// uncentred covariance (F - u)^T (F - u) / n of the ID-fit features, of dimension `dim`;
/// NS = the eigenvectors beyond the `dim` largest (the residual subspace);
/// alpha = mean_fit(max_c z_c) / mean_fit(||(x - u) NS||). Score:
///   score(x) = -alpha ||(x - u) NS|| + LSE(z(x))          (higher = more ID),
/// with the GIVEN logits z (the fit split's logits when present, else F W^T + b).
/// The subspace comes from the SVD of F - u (via a QR of F - u, then the SVD of R: the
/// right singular vectors), not from an eigensolver on the covariance: the covariance's
/// largest eigenvalue (~1e5 x the boundary ones on FMNIST) sets an eigensolver's absolute
/// error at the subspace boundary. The residual norm is ||(x - u) NS|| computed directly,
/// not sqrt(||x - u||^2 - ||(x - u) P||^2), which cancels when the residual is small.
/// Fit and score run in double for both Scalars (the relative eigen-gap at the boundary is
/// 0.7% on FMNIST, below float's reach); scores are cast to Scalar.
/// dim must satisfy 1 <= dim < D (0 = min(256, D/2)); OpenOOD uses 256 for D = 512 (ResNet-18), 1000 for D = 2048.
template <typename Scalar_>
class VimScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::VimScorer: Scalar must be float or double");
    static constexpr const char* name = "vim";
    static constexpr bool needs_head = true;  // fit() needs the classifier head (W, b)
    using Workspace = ScoreWorkspace<Scalar>;
    using MatrixD = RowMatrix<double>;

    struct Param {
        /// Principal-subspace dimension; 0 = automatic: min(256, D / 2), i.e. OpenOOD's 256 for
        /// D = 512 and half the features for smaller networks. An explicit value must be < D.
        Index dim = 0;
        /// Query rows converted to double at a time while scoring.
        Index block_rows = 1024;
        void check_param() const {
            if (dim < 0) throw_invalid("VimScorer::Param", "dim must be >= 1, or 0 for automatic (got ", dim, ")");
            if (block_rows < 1) throw_invalid("VimScorer::Param", "block_rows must be >= 1 (got ", block_rows, ")");
        }
    };

    explicit VimScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// ViM needs the head (for u); always throws.
    void fit(const FeatureView<Scalar>&) {
        throw_invalid("VimScorer::fit", "ViM needs the classifier head: call fit(id_fit, head)");
    }

    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) {
        const char* where = "VimScorer::fit";
        check_nonempty(where, "id_fit", id_fit.rows());
        if (head.empty()) throw_invalid(where, "the classifier head is empty");
        const Index d = id_fit.feature_dim();
        const Index n = id_fit.rows();
        check_cols(where, "features", d, head.feature_dim());
        dim_ = param_.dim > 0 ? param_.dim : std::min<Index>(256, d / 2);
        if (dim_ < 1 || dim_ >= d)
            throw_invalid(where, "dim = ", dim_, " must be in [1, D) for the feature dimension D = ", d);
        check_finite(where, "features", id_fit.features());
        if (id_fit.has_logits()) {
            check_cols(where, "logits", id_fit.num_classes(), head.num_classes());
            check_finite(where, "logits", id_fit.logits());
        }

        // u = -pinv(W) b, with NumPy's pinv cutoff (1e-15 x the largest singular value).
        const MatrixD w = head.weight().template cast<double>();
        Eigen::JacobiSVD<Eigen::MatrixXd> wsvd(w, Eigen::ComputeThinU | Eigen::ComputeThinV);
        wsvd.setThreshold(1e-15);
        Eigen::VectorXd u = -wsvd.solve(head.bias().template cast<double>());

        MatrixD centred = id_fit.features().template cast<double>();
        centred.rowwise() -= u.transpose();
        // Right singular vectors of F - u, all D of them (the null space too when n < D).
        Eigen::MatrixXd v;
        if (n >= d) {
            Eigen::HouseholderQR<Eigen::MatrixXd> qr(centred);
            const Eigen::MatrixXd r = qr.matrixQR().topRows(d).template triangularView<Eigen::Upper>();
            Eigen::BDCSVD<Eigen::MatrixXd> svd(r, Eigen::ComputeFullV);
            v = svd.matrixV();
        } else {
            Eigen::BDCSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(centred), Eigen::ComputeFullV);
            v = svd.matrixV();
        }
        residual_basis_ = v.rightCols(d - dim_);
        origin_ = u;

        Eigen::VectorXd max_logit(n);
        if (id_fit.has_logits()) {
            max_logit = id_fit.logits().template cast<double>().rowwise().maxCoeff();
        } else {
            const MatrixD z = head.logits(id_fit.features()).template cast<double>();
            max_logit = z.rowwise().maxCoeff();
        }
        const double mean_residual = (centred * residual_basis_).rowwise().norm().mean();
        if (!(mean_residual > 0.0))
            throw_invalid(where, "the ID-fit features have no component outside the ", dim_,
                          "-dimensional principal subspace (mean residual 0): lower dim");
        alpha_ = max_logit.mean() / mean_residual;
        num_classes_ = head.num_classes();
        fitted_ = true;
    }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "VimScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.features(split, origin_.size());
        checks.logits(split, num_classes_);
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        const auto z = split.logits();
        const Index n = x.rows(), d = x.cols(), residual_dim = residual_basis_.cols();
        // NS^T as a row-major (D - dim) x D matrix: the column-major NS's own storage.
        const Eigen::Map<const MatrixD> basis_t(residual_basis_.data(), residual_dim, d);
        const Index capacity = std::min(param_.block_rows, n);
        auto centred = ws.template matrix<double>(0, capacity, d);
        auto residual = ws.template matrix<double>(1, capacity, residual_dim);
        auto logits = ws.template matrix<double>(2, capacity, z.cols());
        auto lse = ws.template matrix<double>(3, capacity, 1);
        for (Index begin = 0; begin < n; begin += param_.block_rows) {
            const Index rows = std::min(param_.block_rows, n - begin);
            auto centred_rows = centred.topRows(rows);
            auto residual_rows = residual.topRows(rows);
            auto logit_rows = logits.topRows(rows);
            auto lse_rows = lse.topRows(rows);
            centred_rows = x.middleRows(begin, rows).template cast<double>();
            centred_rows.rowwise() -= origin_.transpose();
            ws.gemm_double().multiply_transposed(centred_rows, basis_t, residual_rows);  // (x - u) NS
            logit_rows = z.middleRows(begin, rows).template cast<double>();
            rowwise_log_sum_exp(logit_rows, lse_rows);  // max-shifted (core/numeric.hpp)
            for (Index i = 0; i < rows; ++i)
                out(begin + i) = static_cast<Scalar>(lse_rows(i, 0) - alpha_ * residual_rows.row(i).norm());
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

    /// ||(x - u) NS|| for each row (double).
    template <typename Derived>
    Eigen::VectorXd residual_norm(const Eigen::MatrixBase<Derived>& x) const {
        if (!fitted_) throw_invalid("VimScorer::residual_norm", "called before fit()");
        check_cols("VimScorer::residual_norm", "x", x.cols(), origin_.size());
        MatrixD centred = x.template cast<double>();
        centred.rowwise() -= origin_.transpose();
        return (centred * residual_basis_).rowwise().norm();
    }

    bool is_fitted() const { return fitted_; }
    const Param& param() const { return param_; }
    /// u (D), double.
    const Eigen::VectorXd& origin() const { return origin_; }
    /// NS: an orthonormal basis (D x (D - dim)) of the residual subspace. Compare NS NS^T, not NS.
    const Eigen::MatrixXd& residual_basis() const { return residual_basis_; }
    double alpha() const { return alpha_; }
    /// The principal-subspace dimension used by the last fit() (Param::dim, or the automatic one).
    Index dim() const { return dim_; }

private:
    Param param_;
    Index dim_ = 0;
    Eigen::VectorXd origin_;
    Eigen::MatrixXd residual_basis_;
    double alpha_ = 0.0;
    Index num_classes_ = 0;
    bool fitted_ = false;
};

using VimScorerf = VimScorer<float>;
using VimScorerd = VimScorer<double>;

}  // namespace reclag
