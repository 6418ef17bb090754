// reclag: the SFNN objective of Section 5 (Eqs. 15-17) and its analytic gradients, batched as
// GEMMs, for the exact and the Monte Carlo estimator. No autodiff: every gradient below is
// derived by hand and checked against central finite differences in tests/train.
//
// Per sample x (already scaled, rows of the batch X, B x D), memories xi (N_H x D), log-variances
// lv (D), precision p_d = exp(-lv_d):
//   a         = beta xi x                           (logits of p_H, Eq. 17)
//   log p_H   = a - LSE(a)
//   log p_V   = -1/2 sum_d [log 2pi + lv_d + (x_d - xi_mu,d)^2 p_d]          (Eq. 16, diagonal Sigma)
//   exact:  J = LSE_mu(log p_H + log p_V),  post = softmax_mu(log p_H + log p_V)
//   MC:     mu_1..mu_M ~ p_H(.|x), w = softmax_m(log p_V(x|mu_m)) held constant,
//           J = LSE_m log p_V(x|mu_m) - log M,  W[mu] = sum_{m: mu_m = mu} w_m (replaces post)
// Gradients of the batch MEAN (post -> W for MC; sum_mu post = sum_m w = 1):
//   dJ/dxi_mu = beta (post_mu - p_H,mu) x + post_mu (x - xi_mu) * p
//   dJ/dlv_d  = sum_mu post_mu [-1/2 + 1/2 (x_d - xi_mu,d)^2 p_d]
// As GEMMs (exact, diagonal): S = X xi^T, C = (X*p) xi^T, ||x - xi||_p^2 = ||x||_p^2 - 2C + ||xi||_p^2,
//   grad_xi = [ (beta (Post - P_H))^T X + Post^T (X*p) - diag(colsum Post) (xi*p) ] / B.
// Everything stays in log space: in 512 dimensions exp(-|x - xi|^2 / 2) underflows to 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/thread_invariant_product.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

/// How the log-variances enter the kernel.
enum class VarianceLayout {
    PerDimension,  ///< lv has D entries (diagonal Sigma); gradient has D entries
    Shared         ///< lv has 1 entry shared by all dimensions (isotropic or fixed Sigma); gradient has 1
};

/// Workspace-holding evaluator of the SFNN objective. reserve() once, then every evaluation of a
/// batch of up to max_batch rows reuses the same storage (no allocation by reclag per batch).
/// Usage: write the scaled batch into input(B), then call exact() or p_H() + sample/set indices +
/// monte_carlo(). Results stay valid until the next call.
template <typename Scalar_>
class SfnnObjective {
public:
    using Scalar = Scalar_;
    using Mat = RowMatrix<Scalar>;
    using Vec = Vector<Scalar>;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::SfnnObjective: Scalar must be float or double");

    void reserve(Index max_batch, Index n_hidden, Index dim, Index mc_samples) {
        if (max_batch == max_batch_ && n_hidden == H_ && dim == D_ && mc_samples == M_) return;
        max_batch_ = max_batch;
        H_ = n_hidden;
        D_ = dim;
        M_ = mc_samples;
        X_.resize(max_batch, dim);
        Xp_.resize(max_batch, dim);
        S_.resize(max_batch, n_hidden);
        C_.resize(max_batch, n_hidden);
        LPH_.resize(max_batch, n_hidden);
        PH_.resize(max_batch, n_hidden);
        Post_.resize(max_batch, n_hidden);
        obj_.resize(max_batch);
        xsq_.resize(max_batch);
        xisq_.resize(n_hidden);
        colsum_.resize(n_hidden);
        grad_xi_.resize(n_hidden, dim);
        G2_.resize(n_hidden, dim);
        grad_lv_.resize(dim);
        prec_.resize(dim);
        work_d_.resize(dim);
        idx_.resize(max_batch, std::max<Index>(mc_samples, 1));
        lpv_.resize(max_batch, std::max<Index>(mc_samples, 1));
        w_.resize(max_batch, std::max<Index>(mc_samples, 1));
        cdf_.resize(static_cast<std::size_t>(n_hidden));
    }

    Index max_batch() const { return max_batch_; }

    /// On (the default): every GEMM goes through thread_invariant_product, so the objective and
    /// gradients are bit-identical whatever Eigen::nbThreads() is (see that header). Off: plain
    /// Eigen products, which differ in the last bits between 1 and 2+ threads when an inner
    /// dimension (D or the batch size) exceeds Eigen's multi-threaded depth block (~320).
    void set_thread_invariant(bool on) { thread_invariant_ = on; }
    bool thread_invariant() const { return thread_invariant_; }

    /// The first B rows of the input buffer: write the scaled batch here.
    auto input(Index B) { return X_.topRows(B); }

    /// Exact estimator on input(B). Returns the batch-mean objective; per-sample values in
    /// objective(); with want_grad, gradients of the mean in grad_xi() and grad_log_var().
    template <typename DXi, typename DLv>
    Scalar exact(Index B, const Eigen::MatrixBase<DXi>& xi, const Eigen::MatrixBase<DLv>& lv, Scalar beta,
                 VarianceLayout layout, bool want_grad) {
        const bool shared = layout == VarianceLayout::Shared;
        auto X = X_.topRows(B);
        auto S = S_.topRows(B);
        auto LPV = C_.topRows(B);  // C is turned into log p_V in place
        auto LPH = LPH_.topRows(B);
        auto Post = Post_.topRows(B);
        set_precision(lv, layout);
        const Scalar cst = log_normaliser(lv, layout);

        gemm(S, X, xi.transpose());
        if (shared) {
            const Scalar p0 = prec_(0);
            xsq_.head(B) = X.rowwise().squaredNorm() * p0;
            xisq_ = xi.rowwise().squaredNorm() * p0;
            LPV = S * p0;
        } else {
            auto Xp = Xp_.topRows(B);
            Xp = X.array().rowwise() * prec_.transpose().array();
            gemm(LPV, Xp, xi.transpose());
            xsq_.head(B) = (X.array() * Xp.array()).rowwise().sum().matrix();
            xisq_ = (xi.array().square().rowwise() * prec_.transpose().array()).rowwise().sum().matrix();
        }
        // log p_V = cst - 1/2 (||x||_p^2 - 2 x.xi_p + ||xi||_p^2)
        for (Index b = 0; b < B; ++b)
            LPV.row(b) = ((LPV.row(b).array() - Scalar(0.5) * xsq_(b)) - Scalar(0.5) * xisq_.transpose().array()) + cst;
        LPH = S * beta;
        for (Index b = 0; b < B; ++b) {
            auto lph = LPH.row(b).array();
            lph -= row_lse(lph);
            auto joint = Post.row(b).array();
            joint = lph + LPV.row(b).array();
            const Scalar J = row_lse(joint);
            obj_(b) = J;
            if (want_grad) joint = exp_no_subnormal(joint - J);  // the posterior, a GEMM operand
        }
        const Scalar mean = obj_.head(B).mean();
        if (!want_grad) return mean;

        auto PH = PH_.topRows(B);
        PH = exp_no_subnormal(LPH.array());
        flush_negligible(Post);  // a GEMM operand below (and in the one of PH)
        colsum_ = Post.colwise().sum().transpose();
        const Scalar invB = Scalar(1) / static_cast<Scalar>(B);
        if (shared) {
            const Scalar p0 = prec_(0);
            // R = beta (Post - P_H) + p0 Post;  grad_xi = (R^T X - p0 diag(c) xi) / B   (one GEMM)
            PH = (Post.array() - PH.array()) * beta + Post.array() * p0;
            flush_negligible(PH);
            gemm(grad_xi_, PH.transpose(), X);
            grad_xi_ -= (xi.array().colwise() * (colsum_.array() * p0)).matrix();
            grad_xi_ *= invB;
            // dJ/dlv = sum_mu post [-D/2 + 1/2 p0 ||x - xi||^2] and 1/2 p0 ||x - xi||^2 = cst - log p_V
            const Scalar half_d = Scalar(0.5) * static_cast<Scalar>(D_);
            grad_lv_.resize(1);
            grad_lv_(0) = (Post.array() * ((cst - half_d) - LPV.array())).sum() * invB;
        } else {
            auto Xp = Xp_.topRows(B);
            PH = (Post.array() - PH.array()) * beta;
            flush_negligible(PH);
            gemm(grad_xi_, PH.transpose(), X);
            gemm(G2_, Post.transpose(), Xp);  // = (Post^T X) * p
            grad_xi_ += G2_;
            grad_xi_ -= ((xi.array().rowwise() * prec_.transpose().array()).colwise() * colsum_.array()).matrix();
            grad_xi_ *= invB;
            // dJ/dlv_d = -1/2 sum_b r_b + 1/2 [sum_b r_b x_bd^2 p_d - 2 sum_mu G2_mu,d xi_mu,d + p_d sum_mu c_mu xi_mu,d^2]
            grad_lv_.resize(D_);
            grad_lv_.setZero();
            Scalar rsum = 0;
            for (Index b = 0; b < B; ++b) {
                const Scalar r = Post.row(b).sum();  // = 1 up to rounding
                rsum += r;
                grad_lv_.array() += r * (X.row(b).array() * Xp.row(b).array()).transpose();
            }
            grad_lv_.array() -= Scalar(2) * (G2_.array() * xi.array()).colwise().sum().transpose();
            grad_lv_.array() += prec_.array() * (xi.array().square().colwise() * colsum_.array()).colwise().sum().transpose();
            grad_lv_.array() = (Scalar(0.5) * grad_lv_.array() - Scalar(0.5) * rsum) * invB;
        }
        return mean;
    }

    /// First half of the Monte Carlo estimator: log p_H and p_H of input(B) (needed to sample).
    template <typename DXi>
    void p_H(Index B, const Eigen::MatrixBase<DXi>& xi, Scalar beta) {
        auto LPH = LPH_.topRows(B);
        gemm(LPH, X_.topRows(B), xi.transpose());
        LPH *= beta;
        for (Index b = 0; b < B; ++b) {
            auto lph = LPH.row(b).array();
            lph -= row_lse(lph);
        }
        PH_.topRows(B) = exp_no_subnormal(LPH.array());  // sampled from, and a GEMM operand
    }

    /// Inverse-CDF sampling from the p_H of the last p_H() call: idx[b,m] = number of mu with
    /// cdf_b[mu] <= u[b,m] cdf_b[N_H - 1], clipped to N_H - 1, where cdf_b = cumsum(p_H[b]) in
    /// double (the convention of golden/sfnn_mc.json). u has B rows and M columns, in [0, 1).
    template <typename DU>
    void sample_indices(Index B, const Eigen::MatrixBase<DU>& u) {
        const Index M = u.cols();
        for (Index b = 0; b < B; ++b) {
            double acc = 0.0;
            for (Index mu = 0; mu < H_; ++mu) {
                acc += static_cast<double>(PH_(b, mu));
                cdf_[static_cast<std::size_t>(mu)] = acc;
            }
            for (Index m = 0; m < M; ++m) {
                const double t = static_cast<double>(u(b, m)) * acc;
                const auto k = std::upper_bound(cdf_.begin(), cdf_.end(), t) - cdf_.begin();
                idx_(b, m) = std::min<Index>(static_cast<Index>(k), H_ - 1);
            }
        }
    }

    /// Sets the sampled indices explicitly (B x M, each in [0, N_H)).
    template <typename DI>
    void set_indices(Index B, const Eigen::MatrixBase<DI>& idx) {
        for (Index b = 0; b < B; ++b)
            for (Index m = 0; m < idx.cols(); ++m) idx_(b, m) = static_cast<Index>(idx(b, m));
    }

    /// Second half of the MC estimator, for the indices in indices(): batch-mean of
    /// J = LSE_m log p_V(x|mu_m) - log M; per-sample J in objective(); the surrogate
    /// mean_b sum_m w_m [log p_V + log p_H](mu_m) in surrogate(); gradients of the surrogate
    /// with w held constant (the paper's estimator) when want_grad.
    template <typename DXi, typename DLv>
    Scalar monte_carlo(Index B, Index M, const Eigen::MatrixBase<DXi>& xi, const Eigen::MatrixBase<DLv>& lv,
                       Scalar beta, VarianceLayout layout, bool want_grad) {
        const bool shared = layout == VarianceLayout::Shared;
        auto X = X_.topRows(B);
        set_precision(lv, layout);
        const Scalar cst = log_normaliser(lv, layout);
        const Scalar log_m = std::log(static_cast<Scalar>(M));
        surrogate_ = 0;
        for (Index b = 0; b < B; ++b) {
            for (Index m = 0; m < M; ++m) {
                work_d_ = X.row(b).transpose() - xi.row(idx_(b, m)).transpose();
                const Scalar q = shared ? work_d_.squaredNorm() * prec_(0) : (work_d_.array().square() * prec_.array()).sum();
                lpv_(b, m) = cst - Scalar(0.5) * q;
            }
            auto l = lpv_.row(b).head(M).array();
            const Scalar lse = row_lse(l);
            obj_(b) = lse - log_m;
            w_.row(b).head(M) = (l - lse).exp().matrix();
            for (Index m = 0; m < M; ++m) surrogate_ += w_(b, m) * (lpv_(b, m) + LPH_(b, idx_(b, m)));
        }
        surrogate_ /= static_cast<Scalar>(B);
        const Scalar mean = obj_.head(B).mean();
        if (!want_grad) return mean;

        // grad_xi = [-beta P_H^T X + sum_{b,m} w_bm e_{mu_bm} (beta x_b + (x_b - xi_mu) * p)^T] / B
        const Scalar invB = Scalar(1) / static_cast<Scalar>(B);
        auto PH = PH_.topRows(B);
        flush_negligible(PH);  // after sampling from it: P_H is only a GEMM operand from here on
        gemm(grad_xi_, PH.transpose(), X);
        grad_xi_ *= -beta;
        grad_lv_.resize(shared ? 1 : D_);
        grad_lv_.setZero();
        const Scalar half_d = Scalar(0.5) * static_cast<Scalar>(D_);
        for (Index b = 0; b < B; ++b) {
            for (Index m = 0; m < M; ++m) {
                const Index mu = idx_(b, m);
                const Scalar w = w_(b, m);
                work_d_ = X.row(b).transpose() - xi.row(mu).transpose();
                if (shared) {
                    grad_xi_.row(mu) += w * (beta * X.row(b) + prec_(0) * work_d_.transpose());
                    grad_lv_(0) += w * ((cst - half_d) - lpv_(b, m));
                } else {
                    grad_xi_.row(mu) += w * (beta * X.row(b).array() + work_d_.transpose().array() * prec_.transpose().array()).matrix();
                    grad_lv_.array() += w * (Scalar(0.5) * work_d_.array().square() * prec_.array() - Scalar(0.5));
                }
            }
        }
        grad_xi_ *= invB;
        grad_lv_ *= invB;
        return mean;
    }

    /// Per-sample objective of the last evaluation (first B entries valid).
    const Vec& objective() const { return obj_; }
    const Mat& grad_xi() const { return grad_xi_; }
    /// D entries (PerDimension) or 1 (Shared).
    const Vec& grad_log_var() const { return grad_lv_; }
    /// Exact: rows [0, B) hold log p_V (B x N_H) after exact().
    const Mat& log_p_V() const { return C_; }
    const Mat& log_p_H() const { return LPH_; }
    /// Exact with want_grad: the posterior softmax_mu(log p_H + log p_V).
    const Mat& posterior() const { return Post_; }
    /// p_H after p_H() (MC). After exact() with want_grad this buffer holds gradient scratch.
    const Mat& p_H_matrix() const { return PH_; }
    const Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& indices() const { return idx_; }
    const Mat& mc_weights() const { return w_; }
    Scalar surrogate() const { return surrogate_; }

private:
    template <typename Dst, typename L, typename R>
    void gemm(Dst&& dst, const Eigen::MatrixBase<L>& lhs, const Eigen::MatrixBase<R>& rhs) const {
        if (thread_invariant_) thread_invariant_product(dst, lhs, rhs);
        else dst.noalias() = lhs * rhs;
    }

    template <typename A>
    static Scalar row_lse(const A& a) {
        const Scalar m = a.maxCoeff();
        if (!std::isfinite(m)) return m;
        return m + std::log(exp_no_subnormal(a - m).sum());
    }

    template <typename DLv>
    void set_precision(const Eigen::MatrixBase<DLv>& lv, VarianceLayout layout) {
        if (layout == VarianceLayout::Shared) {
            prec_.setConstant(std::exp(-lv(0)));
        } else {
            prec_ = (-lv.array()).exp().matrix();
        }
    }

    /// -1/2 (D log 2pi + sum_d lv_d)
    template <typename DLv>
    Scalar log_normaliser(const Eigen::MatrixBase<DLv>& lv, VarianceLayout layout) const {
        const Scalar log2pi = static_cast<Scalar>(1.8378770664093454835606594728112);
        const Scalar sum_lv = layout == VarianceLayout::Shared ? static_cast<Scalar>(D_) * lv(0) : lv.sum();
        return Scalar(-0.5) * (static_cast<Scalar>(D_) * log2pi + sum_lv);
    }

    Index max_batch_ = -1, H_ = -1, D_ = -1, M_ = -1;
    Mat X_, Xp_, S_, C_, LPH_, PH_, Post_, grad_xi_, G2_, lpv_, w_;
    Vec obj_, xsq_, xisq_, colsum_, grad_lv_, prec_, work_d_;
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> idx_;
    std::vector<double> cdf_;
    Scalar surrogate_ = 0;
    bool thread_invariant_ = true;
};

}  // namespace reclag
