// Uses reclag as a downstream project would: include the umbrella header, score a batch.
#include <reclag/reclag.hpp>

#include <iostream>

int main() {
    Eigen::MatrixXd logits(2, 3);
    logits << 3.0, 0.0, 0.0,  //
        0.1, 0.0, 0.2;
    const Eigen::VectorXd lse = reclag::rowwise_log_sum_exp(logits);
    // LSE(3, 0, 0) = 3 + log(1 + 2 e^-3); the first row is the more confident one.
    const double expected = 3.0 + std::log(1.0 + 2.0 * std::exp(-3.0));
    if (std::abs(lse(0) - expected) > 1e-12 || !(lse(0) > lse(1))) {
        std::cerr << "unexpected log-sum-exp " << lse.transpose() << "\n";
        return 1;
    }
    std::cout << "reclag " << reclag::version_string << " consumed OK\n";
    return 0;
}
