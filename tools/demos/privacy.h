// Privacy accounting for DP-SGD: the Renyi-DP of the subsampled Gaussian
// mechanism (Mironov, Talwar and Zhang 2019, integer orders) composed over
// the training steps and converted to (epsilon, delta)-DP.
#pragma once

namespace fnx::demos {

// RDP of order `alpha` (an integer >= 2) of one step that samples each
// example with probability q and adds Gaussian noise of std
// noise_multiplier times the clipping norm.
double subsampled_gaussian_rdp(double q, double noise_multiplier, int alpha);

// The smallest epsilon over orders 2..256 after `steps` steps:
// min over alpha of steps * rdp(alpha) + log(1 / delta) / (alpha - 1).
double dp_epsilon(double q, double noise_multiplier, int steps, double delta);

}  // namespace fnx::demos
