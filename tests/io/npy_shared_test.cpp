// Reading the real fmnist-cnn512 arrays (dumped by numpy from PyTorch) from ../shared.
// Expected values: the data's README (shapes, dtypes, balanced 1000 labels per class, logits ==
// features @ fc_weight.T + fc_bias) and single entries printed by numpy's np.load.
#include <catch2/catch.hpp>

#include <reclag/core/types.hpp>
#include <reclag/io/npy.hpp>

#include <cstdint>

#include "shared_data.hpp"

TEST_CASE("fc_weight.npy is 10 x 512 float32 in C order", "[io][npy][shared]") {
    const std::string path = reclag_test::fmnist_dir() + "/fc_weight.npy";
    const reclag::NpyHeader h = reclag::read_npy_header(path);
    CHECK(h.descr == "<f4");
    CHECK_FALSE(h.fortran_order);
    CHECK(h.shape == std::vector<std::int64_t>{10, 512});

    const reclag::RowMatrix<float> w = reclag::load_npy<reclag::RowMatrix<float>>(path);
    REQUIRE(w.rows() == 10);
    REQUIRE(w.cols() == 512);
    CHECK(w.allFinite());
    // np.load(...)[i, j] printed as float64 reprs of the float32 values.
    CHECK(w(0, 0) == static_cast<float>(0.028134861961007118));
    CHECK(w(9, 511) == static_cast<float>(0.26528528332710266));
    CHECK(w(3, 100) == static_cast<float>(0.00792092364281416));
    CHECK(w.cast<double>().sum() == Approx(-0.0793821749612107).margin(1e-9));

    // The conversion path (float -> double, C order -> column-major) gives the same numbers.
    const Eigen::MatrixXd wd = reclag::load_npy<Eigen::MatrixXd>(path);
    CHECK(wd == w.cast<double>());
}

TEST_CASE("id_test_labels.npy has 10000 int64 labels in 0..9 with 1000 per class", "[io][npy][shared]") {
    const std::string path = reclag_test::fmnist_dir() + "/id_test_labels.npy";
    const reclag::LabelVector y = reclag::load_npy<reclag::LabelVector>(path);
    REQUIRE(y.size() == 10000);
    CHECK(y.minCoeff() >= 0);
    CHECK(y.maxCoeff() <= 9);
    std::int64_t counts[10] = {};
    for (Eigen::Index i = 0; i < y.size(); ++i) ++counts[y(i)];
    for (std::int64_t c : counts) CHECK(c == 1000);
    const std::int64_t first[12] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5};
    for (int i = 0; i < 12; ++i) CHECK(y(i) == first[i]);
    // Into int32 (range-checked) as well.
    const Eigen::Matrix<std::int32_t, Eigen::Dynamic, 1> y32 = reclag::load_npy<Eigen::Matrix<std::int32_t, Eigen::Dynamic, 1>>(path);
    CHECK(y32.cast<std::int64_t>() == y);
}

TEST_CASE("logits == features @ fc_weight.T + fc_bias on the loaded arrays", "[io][npy][shared]") {
    const std::string dir = reclag_test::fmnist_dir();
    const auto x = reclag::load_npy<reclag::RowMatrix<float>>(dir + "/id_test_features.npy");
    const auto z = reclag::load_npy<reclag::RowMatrix<float>>(dir + "/id_test_logits.npy");
    const auto w = reclag::load_npy<reclag::RowMatrix<float>>(dir + "/fc_weight.npy");
    const auto b = reclag::load_npy<reclag::RowVector<float>>(dir + "/fc_bias.npy");
    REQUIRE(x.rows() == 10000);
    REQUIRE(x.cols() == 512);
    REQUIRE(z.rows() == 10000);
    REQUIRE(z.cols() == 10);
    REQUIRE(b.size() == 10);
    const reclag::RowMatrix<double> recomputed =
        (x.cast<double>() * w.cast<double>().transpose()).rowwise() + b.cast<double>();
    CHECK((recomputed - z.cast<double>()).cwiseAbs().maxCoeff() < 1e-4);  // README: 9.88e-06
}
