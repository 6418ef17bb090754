// FeatureView: zero-copy for row-major data, a safe copy for column-major data, shape checks.
#include <catch2/catch.hpp>

#include <vector>

#include <reclag/score/feature_view.hpp>
#include <reclag/score/scorer.hpp>

TEST_CASE("FeatureView maps row-major data without a copy and column-major data by value", "[score][view]") {
    reclag::RowMatrix<float> row_major(3, 2);
    row_major << 1, 2, 3, 4, 5, 6;
    const reclag::FeatureView<float> v(row_major);
    CHECK(v.features().data() == row_major.data());
    CHECK(v.rows() == 3);
    CHECK(v.feature_dim() == 2);
    CHECK_FALSE(v.has_logits());
    CHECK_FALSE(v.has_labels());

    Eigen::MatrixXf col_major = row_major;  // same values, other layout
    reclag::FeatureView<float> c(col_major);
    CHECK(c.features().data() != col_major.data());
    CHECK(c.features() == row_major);
    {
        reclag::FeatureView<float> copy = c;  // the copy shares the converted storage safely
        c = reclag::FeatureView<float>(row_major);
        CHECK(copy.features() == row_major);
    }

    // A block of rows of a row-major matrix is still zero-copy, with the parent's row stride.
    reclag::RowMatrix<float> wide(4, 5);
    wide.setRandom();
    reclag::FeatureView<float> block(wide.block(1, 1, 2, 3));
    CHECK(block.features().data() == &wide(1, 1));
    CHECK(block.features() == wide.block(1, 1, 2, 3));
}

TEST_CASE("FeatureView checks row counts and slices rows", "[score][view]") {
    reclag::RowMatrix<double> x(4, 3), z(4, 2), z_bad(3, 2);
    x.setRandom();
    z.setRandom();
    reclag::LabelVector y(4), y_bad(2);
    y << 0, 1, 1, 0;
    y_bad << 0, 1;
    CHECK_THROWS_WITH((reclag::FeatureView<double>(x, z_bad)),
                      Catch::Contains("FeatureView: logits has 3 rows, expected 4"));
    CHECK_THROWS_WITH((reclag::FeatureView<double>(x, z, y_bad)),
                      Catch::Contains("FeatureView: labels has 2 rows, expected 4"));
    const reclag::FeatureView<double> v(x, z, y);
    const auto mid = v.middle_rows(1, 2);
    CHECK(mid.rows() == 2);
    CHECK(mid.features() == x.middleRows(1, 2));
    CHECK(mid.logits() == z.middleRows(1, 2));
    CHECK(mid.labels()(0) == 1);
    CHECK(mid.labels()(1) == 1);
    CHECK_THROWS_AS(v.middle_rows(3, 2), reclag::invalid_argument);
}

TEST_CASE("predicted_classes takes the first maximum, like NumPy argmax", "[score][view]") {
    reclag::RowMatrix<double> z(3, 3);
    z << 1, 3, 3,  //
        5, 5, 5,   //
        0, -1, 2;
    const reclag::LabelVector pred = reclag::predicted_classes(z);
    CHECK(pred(0) == 1);
    CHECK(pred(1) == 0);
    CHECK(pred(2) == 2);
}

TEST_CASE("group_rows_by_predicted_class: a counting sort by first-maximum class, rows ascending", "[score][view]") {
    // 4 classes; predicted (first maximum): rows 0..5 -> 2, 0, 2, 3, 0, 2 (row 1 ties 0 and 3;
    // row 4 ties everywhere); class 1 gets no row.
    reclag::RowMatrix<double> z(6, 4);
    z << 0, 1, 5, 2,  //
        7, 1, 0, 7,   //
        0, 0, 9, 0,   //
        1, 2, 3, 4,   //
        3, 3, 3, 3,   //
        -5, -4, -1, -2;
    std::vector<reclag::Index> pred{99}, offsets(10, 99), order{99, 99};  // stale contents and sizes
    reclag::group_rows_by_predicted_class(z, 4, pred, offsets, order);
    CHECK(pred == std::vector<reclag::Index>{2, 0, 2, 3, 0, 2});
    CHECK(offsets == std::vector<reclag::Index>{0, 2, 2, 5, 6});
    CHECK(order == std::vector<reclag::Index>{1, 4, 0, 2, 5, 3});
    // no rows: every class empty
    const reclag::RowMatrix<double> none(0, 4);
    reclag::group_rows_by_predicted_class(none, 4, pred, offsets, order);
    CHECK(pred.empty());
    CHECK(order.empty());
    CHECK(offsets == std::vector<reclag::Index>{0, 0, 0, 0, 0});
}

TEST_CASE("ClassifierHead computes X W^T + b and validates its parts", "[score][view]") {
    reclag::RowMatrix<double> w(2, 3);
    w << 1, 0, -1, 0.5, 0.5, 0.5;
    Eigen::VectorXd b(2);
    b << 0.25, -1;
    const reclag::ClassifierHead<double> head(w, b);
    reclag::RowMatrix<double> x(1, 3);
    x << 2, 4, 6;
    const auto z = head.logits(x);
    CHECK(z(0, 0) == Approx(2 - 6 + 0.25));
    CHECK(z(0, 1) == Approx(6 - 1));
    Eigen::VectorXd b_bad(3);
    b_bad.setZero();
    CHECK_THROWS_WITH((reclag::ClassifierHead<double>(w, b_bad)), Catch::Contains("bias has 3 elements, expected 2"));
}
