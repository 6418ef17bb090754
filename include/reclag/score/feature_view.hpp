// reclag: the one data interface every scorer reads: a split of samples (features, logits,
// optional labels) and the classifier head that produced the logits.
#pragma once

#include <cstdint>
#include <memory>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

namespace detail {

/// Holds either a zero-copy map of the caller's row-major data or, when the caller's matrix
/// is column-major or has a non-unit column stride, a shared row-major copy of it. The copy
/// is the price of accepting any Eigen matrix; pass row-major data to avoid it.
template <typename Scalar>
class MatrixHandle {
public:
    MatrixHandle() = default;

    /// `what` names the matrix in the error for an absurd shape (checked before any copy).
    template <typename Derived>
    explicit MatrixHandle(const Eigen::DenseBase<Derived>& m, const char* what = "matrix") {
        static_assert(std::is_same_v<typename Derived::Scalar, Scalar>,
                      "reclag: the matrix's scalar type differs from the view's Scalar; "
                      "cast it first (m.template cast<Scalar>())");
        constexpr bool direct = (Eigen::internal::traits<Derived>::Flags & Eigen::DirectAccessBit) != 0;
        const Derived& d = m.derived();
        check_shape("FeatureView", what, d.rows(), d.cols());
        rows_ = d.rows();
        cols_ = d.cols();
        if constexpr (direct && static_cast<bool>(Derived::IsRowMajor)) {
            if (d.innerStride() == 1) {
                data_ = d.data();
                row_stride_ = d.outerStride();
                return;
            }
        }
        auto copy = std::make_shared<RowMatrix<Scalar>>(d);
        owned_ = copy;
        data_ = copy->data();
        row_stride_ = cols_;
    }

    ConstMatrixView<Scalar> map() const {
        return ConstMatrixView<Scalar>(data_, rows_, cols_, Eigen::OuterStride<>(row_stride_ > 0 ? row_stride_ : 1));
    }
    Index rows() const { return rows_; }
    Index cols() const { return cols_; }
    bool owns_copy() const { return owned_ != nullptr; }

    /// Rows [begin, begin + count) of the same storage (shares the copy, if any).
    MatrixHandle middle_rows(Index begin, Index count) const {
        MatrixHandle out = *this;
        out.data_ = data_ == nullptr ? nullptr : data_ + begin * row_stride_;
        out.rows_ = count;
        return out;
    }

private:
    const Scalar* data_ = nullptr;
    Index rows_ = 0;
    Index cols_ = 0;
    Index row_stride_ = 0;
    std::shared_ptr<const RowMatrix<Scalar>> owned_;
};

}  // namespace detail

/// Non-owning view of one split: features X (n x D), logits Z (n x C, may be absent: 0 columns)
/// and labels y (n, may be absent). Rows are samples. Row-major inputs (NumPy C order, the
/// matrices reclag's .npy reader returns) are viewed without a copy; the caller's matrices
/// must then outlive the view. Copying a view is cheap.
template <typename Scalar_>
class FeatureView {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::FeatureView: Scalar must be float or double");

    FeatureView() = default;

    /// Features only (for scorers that need no logits, such as RecLag with a global xi).
    template <typename DF>
    explicit FeatureView(const Eigen::DenseBase<DF>& features) : features_(features, "features") {}

    /// Features and logits; the row counts must agree.
    template <typename DF, typename DL>
    FeatureView(const Eigen::DenseBase<DF>& features, const Eigen::DenseBase<DL>& logits)
        : features_(features, "features"), logits_(logits, "logits") {
        check_logit_rows();
    }

    /// Features, logits and labels (int64, one per row).
    template <typename DF, typename DL>
    FeatureView(const Eigen::DenseBase<DF>& features, const Eigen::DenseBase<DL>& logits, const LabelVector& labels)
        : features_(features, "features"), logits_(logits, "logits"), labels_(labels.data()) {
        check_logit_rows();
        check_rows("FeatureView", "labels", labels.size(), rows());
    }

    Index rows() const { return features_.rows(); }
    Index feature_dim() const { return features_.cols(); }
    /// C, the number of logit columns (0 when the split has no logits).
    Index num_classes() const { return logits_.cols(); }
    bool has_logits() const { return logits_.cols() > 0; }
    bool has_labels() const { return labels_ != nullptr; }

    ConstMatrixView<Scalar> features() const { return features_.map(); }
    ConstMatrixView<Scalar> logits() const { return logits_.map(); }
    /// The labels; an empty map when the split has none.
    ConstLabelView labels() const { return ConstLabelView(labels_, labels_ ? rows() : 0); }

    /// A view of rows [begin, begin + count): for scoring a large split in chunks.
    FeatureView middle_rows(Index begin, Index count) const {
        if (begin < 0 || count < 0 || begin + count > rows())
            throw_invalid("FeatureView::middle_rows", "rows [", begin, ", ", begin + count, ") out of [0, ", rows(), ")");
        FeatureView out = *this;
        out.features_ = features_.middle_rows(begin, count);
        if (has_logits()) out.logits_ = logits_.middle_rows(begin, count);
        if (has_labels()) out.labels_ = labels_ + begin;
        return out;
    }

private:
    void check_logit_rows() const {
        if (logits_.cols() > 0) check_rows("FeatureView", "logits", logits_.rows(), rows());
    }

    detail::MatrixHandle<Scalar> features_;
    detail::MatrixHandle<Scalar> logits_;
    const std::int64_t* labels_ = nullptr;
};

/// The classifier's final linear layer: logits = W x + b, with W (C x D) and b (C).
/// Scorers that recompute logits (ReAct, ASH, DICE) copy W and b at fit time.
template <typename Scalar_>
class ClassifierHead {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::ClassifierHead: Scalar must be float or double");

    ClassifierHead() = default;

    template <typename DW, typename DB>
    ClassifierHead(const Eigen::DenseBase<DW>& weight, const Eigen::DenseBase<DB>& bias)
        : weight_((check_shape("ClassifierHead", "weight", weight.rows(), weight.cols()), weight)),
          bias_((check_shape("ClassifierHead", "bias", bias.rows(), bias.cols()), bias.derived().template cast<Scalar>().reshaped())) {
        if (weight_.rows() == 0 || weight_.cols() == 0) throw_invalid("ClassifierHead", "weight is empty");
        check_size("ClassifierHead", "bias", bias_.size(), weight_.rows());
        check_finite("ClassifierHead", "weight", weight_);
        check_finite("ClassifierHead", "bias", bias_);
    }

    Index num_classes() const { return weight_.rows(); }
    Index feature_dim() const { return weight_.cols(); }
    bool empty() const { return weight_.size() == 0; }
    const RowMatrix<Scalar>& weight() const { return weight_; }
    const Vector<Scalar>& bias() const { return bias_; }

    /// logits = X W^T + b for a batch of rows.
    template <typename Derived>
    RowMatrix<Scalar> logits(const Eigen::MatrixBase<Derived>& x) const {
        RowMatrix<Scalar> z = x * weight_.transpose();
        z.rowwise() += bias_.transpose();
        return z;
    }

private:
    RowMatrix<Scalar> weight_;
    Vector<Scalar> bias_;
};

}  // namespace reclag
