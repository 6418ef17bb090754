// Golden cases for log-sum-exp, softmax, chi and normalisation (shared/golden/{lse,chi,normalize}.json).
#include <catch2/catch.hpp>

#include <reclag/core/numeric.hpp>

#include "golden.hpp"

using reclag_test::close;

TEMPLATE_TEST_CASE("log_sum_exp and softmax match the golden cases", "[core][golden]", float, double) {
    const auto golden = reclag_test::load_golden("lse.json");
    const double rtol = std::is_same_v<TestType, double> ? 1e-12 : 1e-5;
    for (const auto& c : golden["cases"].array) {
        const Eigen::VectorXd a = reclag_test::vec(c["inputs"]["a"]);
        const reclag::Vector<TestType> at = a.cast<TestType>();
        INFO("case " << c["name"].as_string());
        const double lse = reclag::log_sum_exp(at);
        CHECK(close(lse, reclag_test::scalar(c["expected"]["lse"]), rtol, rtol));
        const reclag::Vector<TestType> p = reclag::softmax(at);
        const Eigen::VectorXd expected = reclag_test::vec(c["expected"]["softmax"]);
        REQUIRE(p.size() == expected.size());
        for (Eigen::Index i = 0; i < p.size(); ++i) CHECK(close(p(i), expected(i), rtol, rtol));
    }
}

TEST_CASE("chi is 1 exactly when z >= 0, -0.0 included", "[core][golden]") {
    const auto golden = reclag_test::load_golden("chi.json");
    for (const auto& c : golden["cases"].array) {
        const Eigen::VectorXd z = reclag_test::vec(c["inputs"]["z"]);
        const Eigen::VectorXd expected = reclag_test::vec(c["expected"]["chi"]);
        for (Eigen::Index i = 0; i < z.size(); ++i) CHECK(reclag::chi(z(i)) == expected(i));
    }
}

TEMPLATE_TEST_CASE("normalize_rows scales to the radius and keeps zero rows", "[core][golden]", float, double) {
    const auto golden = reclag_test::load_golden("normalize.json");
    const double rtol = std::is_same_v<TestType, double> ? 1e-12 : 1e-5;
    for (const auto& c : golden["cases"].array) {
        const reclag_test::MatrixXdR x = reclag_test::mat(c["inputs"]["x"]);
        const double s = reclag_test::scalar(c["params"]["s"]);
        const reclag::RowMatrix<TestType> xh = reclag::normalize_rows(x.cast<TestType>().eval(), static_cast<TestType>(s));
        const reclag_test::MatrixXdR expected = reclag_test::mat(c["expected"]["xh"]);
        INFO("case " << c["name"].as_string());
        for (Eigen::Index i = 0; i < xh.rows(); ++i)
            for (Eigen::Index j = 0; j < xh.cols(); ++j) CHECK(close(xh(i, j), expected(i, j), rtol, rtol));
    }
}
