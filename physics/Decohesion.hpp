#pragma once
// Decohesion of active|electrolyte interfaces: a tension-only bilinear traction-separation law with
// irreversible damage, realised as a one-voxel crack band in the electrolyte voxel next to each interface
// face.
//
// Law (normal opening delta [m], history kappa = the largest opening of the committed history):
//   t = K delta                                delta <= delta_0 = sigma_c / K           (intact)
//   t = (1 - d) K delta,  d(kappa) = delta_f (kappa - delta_0) / (kappa (delta_f - delta_0))
//                                              delta_0 < kappa < delta_f = 2 G_c / sigma_c  (softening)
//   t = 0, d = 1 (debonded)                    kappa >= delta_f
// The energy per area dissipated to full separation is the area under the envelope, sigma_c delta_f / 2 =
// G_c. Damage never decreases (kappa is committed only at the end of a converged load step). Compression
// (delta <= 0) is contact: the normal stiffness across a damaged face is intact, so faces do not
// interpenetrate; the shear stiffness on a damaged face scales with (1 - d), open or closed (frictionless
// once debonded).
//
// Realisation (crack band, Bazant & Oh 1983): Q1 nodes are shared between voxels, so the grid has no
// displacement jump. The electrolyte voxel E next to an active voxel across a face normal to axis a is the
// interphase of that face. Its normal stress across the face is (1 - d) sigma_aa^el, sigma^el = C_E eps the
// intact stress of its current strain (ElasticityKernels: crackedStiffness), and the opening that drives the
// law is delta = h_a sigma_aa^el / M_E, M_E = lambda + 2 mu of the electrolyte and h_a the voxel edge: for a
// laterally confined band this is exactly the band's stretch h_a eps_aa, so K = M_E / h_a and the band
// dissipates G_c per unit face area. The gap (the inelastic opening, what a micrograph would show) is d
// delta. A band that borders active voxels on both sides along a (a one-voxel electrolyte layer) shares its
// gap between its two faces. The band snaps back by itself unless delta_0 < delta_f, i.e. h_a < 2 G_c M_E /
// sigma_c^2. Units: Pa, J/m^2, m.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/ElasticityKernels.hpp"
#include "solver/core/Json.hpp"

namespace ssb {

struct BilinearCohesiveLaw {
  double strength = 0.0;        // sigma_c [Pa]
  double fractureEnergy = 0.0;  // G_c [J/m^2]
  double stiffness = 0.0;       // K [Pa/m]

  double onsetOpening() const { return strength / stiffness; }               // delta_0
  double failureOpening() const { return 2.0 * fractureEnergy / strength; }  // delta_f
  double damage(double kappa) const {
    const double d0 = onsetOpening(), df = failureOpening();
    if (kappa <= d0) return 0.0;
    if (kappa >= df) return 1.0;
    return df * (kappa - d0) / (kappa * (df - d0));
  }
  // The history whose damage is d (the inverse of damage() on [delta_0, delta_f]; delta_f for d >= 1).
  double historyFor(double d) const {
    const double d0 = onsetOpening(), df = failureOpening();
    if (d <= 0.0) return 0.0;
    if (d >= 1.0) return df;
    return df * d0 / (df - d * (df - d0));
  }
  double traction(double delta, double kappa) const {  // kappa >= delta for a state on the law
    return delta <= 0.0 ? stiffness * delta : (1.0 - damage(std::max(kappa, delta))) * stiffness * delta;
  }
};

// Voxel roles for the interface search.
enum class MechRole : uint8_t { None = 0, Active = 1, Electrolyte = 2, Other = 3 };

// Per owned voxel, for its +x, +y, +z faces.
struct InterfaceFaceFields {
  std::vector<std::array<uint8_t, 3>> isInterface;  // active|electrolyte face, both load-carrying
  std::vector<std::array<double, 3>> damage;        // [-], 1 = debonded
  std::vector<std::array<double, 3>> opening;       // gap width [m]
  std::vector<std::array<double, 3>> contact;  // 1 - d, 0 when debonded; 1 on faces that are no interface
};

class InterfaceDamage {
 public:
  // Collective. role: per owned voxel. C: per owned voxel intact stiffness (used for electrolyte voxels).
  // periodic: which axes wrap (faces across a periodic boundary are interfaces too).
  InterfaceDamage(const StructuredGrid& grid, const std::vector<MechRole>& role,
                  const std::vector<elastic::Mat6>& intactStiffness, std::array<bool, 3> periodic,
                  double strength, double fractureEnergy);

  struct Update {
    double maxDamageChange = 0.0;  // max |d(strains) - d used in the solve| over all bands (global)
    int64_t switched = 0;          // damaged bands that changed open <-> closed (global)
    int64_t frozen = 0;            // bands held closed from this update on (global; see kFreezeFlips)
  };
  // A damaged band whose opening sits at ~0 can flip open <-> closed on every iteration of a step (open: the
  // band is compliant and the surroundings press it shut; closed: it is stiff and pulled open), and the
  // damage iteration then never settles. After this many flips within one step the band is held closed
  // (in contact) with its damage frozen for the rest of the step; it is released at the step's end.
  static constexpr int kFreezeFlips = 4;
  // Collective. The damage the law gives for the intact stresses of the current strains (per owned voxel),
  // against the damage the strains were computed with: the residual of the fixed-point iteration.
  Update update(const std::vector<elastic::Vec6>& intactStress);
  // Collective. The damage for the next solve: Anderson-accelerated fixed-point step (memory `depth`; plain
  // step d = d(strains) when depth is 0), clipped to [committed damage, 1] (irreversible).
  // `relaxation` in (0, 1] scales the plain step (depth 0): d + w (G(d) - d).
  void advance(int depth, double relaxation = 1.0);
  // Not collective. Crack compliances for ElasticOperator::setCrackCompliance (the damage of the next solve).
  std::vector<std::array<double, 6>> crackCompliance() const;
  // Accept the law's damage of the last update and make its history the committed one (end of a converged
  // step).
  void commit();
  // Not collective. Monotone mode (the last resort of a step whose iteration stalls): restart from the
  // committed damage and iterate d_{k+1} >= max(d_k, G(d_k)) (`advance` clips its step, plain or Anderson-
  // extrapolated, from below there), which never lowers a band's damage within the step. A non-decreasing
  // sequence bounded by 1 converges; it stops where no band's law asks for more (G(d) <= d), so `update`
  // then measures only the increase max(G(d) - d, 0). Past a snap-back the plain sequence creeps through the
  // bottleneck the vanished fixed point leaves (G(d) - d small but positive for hundreds of iterations); the
  // extrapolation crosses it. A band unloaded by its neighbours' damage keeps the damage it reached in the
  // iteration (as on a path through the step), and `commit` makes its history consistent with that damage.
  // Cleared by commit and rollback.
  void startMonotone();
  bool monotone() const { return m_monotone; }
  // Not collective. Back to the committed state (the damage of the committed history, no flips or frozen
  // bands, no Anderson history): after a step whose iteration failed, before a smaller one is tried.
  void rollback();

  InterfaceFaceFields faceFields() const;  // collective
  Json statistics() const;                 // collective; SI units, see `units` in the study results
  int64_t bandCount() const { return m_bandsGlobal; }
  // Residual stiffness fraction kept by a debonded band so the system stays non-singular.
  static constexpr double kResidual = 1e-6;

 private:
  struct Band {
    int64_t voxel = 0;  // owned local index
    int axis = 0;
    int faces = 1;            // interface faces of the voxel normal to axis (1 or 2)
    double modulus = 0.0;     // M_E [Pa]
    double shear = 0.0;       // mu_E [Pa]
    double kappa = 0.0;       // committed history [m]
    double kappaTrial = 0.0;  // trial history
    double delta = 0.0;       // current opening [m] (negative: compression)
    double damage = 0.0;      // damage used in the current solve
    double target = 0.0;      // damage the law gives for the current solution's opening
    bool open = false;
    int flips = 0;        // open <-> closed changes in the current step
    bool frozen = false;  // held closed for the rest of the step (kFreezeFlips)
  };
  BilinearCohesiveLaw lawOf(const Band& b) const;
  void clearHistory();  // forget the Anderson differences (a new step, or the map changed branch)
  // Every band back to its committed history and damage (the trial state of a fresh step), no Anderson
  // history.
  void restartFromCommitted();

  const StructuredGrid& m_grid;
  std::array<bool, 3> m_periodic;
  double m_strength, m_fractureEnergy;
  bool m_monotone = false;
  std::vector<Band> m_bands;
  // Anderson history: differences of successive iterates and residuals (local band entries).
  std::vector<std::vector<double>> m_dX, m_dF;
  std::vector<double> m_lastX, m_lastF;
  bool m_haveLast = false;
  std::vector<std::array<uint8_t, 3>> m_faceInterface;  // +a face of owned voxel is an interface
  std::vector<std::array<uint8_t, 3>> m_faceBandSelf;   // ... and its band is this voxel (else the neighbour)
  int64_t m_bandsGlobal = 0;
};

}  // namespace ssb
