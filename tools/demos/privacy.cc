#include "tools/demos/privacy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace fnx::demos {

double subsampled_gaussian_rdp(double q, double noise_multiplier, int alpha) {
  // log of sum_k C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / 2s^2),
  // summed in the log domain.
  const double s2 = noise_multiplier * noise_multiplier;
  std::vector<double> terms;
  for (int k = 0; k <= alpha; ++k) {
    if ((q == 0 && k > 0) || (q == 1 && k < alpha)) continue;
    const double log_binom = std::lgamma(alpha + 1.0) - std::lgamma(k + 1.0) -
                             std::lgamma(alpha - k + 1.0);
    const double log_q = k == 0 ? 0.0 : k * std::log(q);
    const double log_1mq = k == alpha ? 0.0 : (alpha - k) * std::log1p(-q);
    terms.push_back(log_binom + log_q + log_1mq +
                    (static_cast<double>(k) * k - k) / (2 * s2));
  }
  const double top = *std::max_element(terms.begin(), terms.end());
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return (top + std::log(sum)) / (alpha - 1);
}

double dp_epsilon(double q, double noise_multiplier, int steps, double delta) {
  double best = std::numeric_limits<double>::infinity();
  for (int alpha = 2; alpha <= 256; ++alpha) {
    const double eps =
        steps * subsampled_gaussian_rdp(q, noise_multiplier, alpha) +
        std::log(1 / delta) / (alpha - 1);
    best = std::min(best, eps);
  }
  return best;
}

}  // namespace fnx::demos
