#pragma once
// Integer-only pseudo-random numbers (SplitMix64), so generated volumes and test volumes are bit-identical
// on any machine and any rank count: every rank draws the same sequence, or hashes a voxel's global index.
#include <cmath>
#include <cstdint>
#include <numbers>

namespace ssb {

// The SplitMix64 output function applied to state + golden gamma.
inline uint64_t splitMix64(uint64_t state) {
  uint64_t z = state + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A stateless uniform number in [0, 1) for (seed, counter): for per-voxel random fields.
inline double hashUniform(uint64_t seed, uint64_t counter) {
  return static_cast<double>(splitMix64(seed * 0x2545F4914F6CDD1Dull + counter) >> 11) * 0x1.0p-53;
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : m_state(seed) {}
  uint64_t next() {
    const uint64_t out = splitMix64(m_state);
    m_state += 0x9E3779B97F4A7C15ull;
    return out;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {                                                           // Box-Muller
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Log-normal draw with the given arithmetic mean and standard deviation (sd 0 -> mean).
  double logNormal(double mean, double sd) {
    if (sd <= 0) return mean;
    const double s2 = std::log(1.0 + sd * sd / (mean * mean));
    const double mu = std::log(mean) - 0.5 * s2;
    return std::exp(mu + std::sqrt(s2) * normal());
  }

 private:
  uint64_t m_state;
};

}  // namespace ssb
