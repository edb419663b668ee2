#include "physics/ContactConductance.hpp"

#include <mpi.h>

#include <exception>

#include "physics/FaceKernels.hpp"
#include "physics/GhostBox.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

std::shared_ptr<FaceWeights> contactWeights(const StructuredGrid& grid, const std::vector<uint8_t>& phase,
                                            const std::vector<double>& phaseK,
                                            const std::vector<int64_t>& particle, const ContactRules& rules,
                                            const FluxBoundary& bc, ContactFaceCounts* counts) {
  const size_t nOwned = static_cast<size_t>(grid.owned().voxels());
  std::exception_ptr err;
  try {
    if (phase.size() != nOwned || particle.size() != nOwned)
      throwRun("contactWeights: {} phases and {} particle ids for {} owned voxels", phase.size(),
               particle.size(), nOwned);
    if (rules.grainBoundary.size() != phaseK.size() ||
        rules.interface.size() != phaseK.size() * phaseK.size())
      throwRun("contactWeights: contact rules for {} phases, coefficients for {}", rules.grainBoundary.size(),
               phaseK.size());
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(grid.comm(), err);

  FaceSpace space(grid, phase);
  // Particle ids on the ghosted box (doubles hold them exactly up to 2^53).
  const std::vector<double> ids =
      exchangeGhosts(grid, std::vector<double>(particle.begin(), particle.end()), -1.0);
  auto weights = std::make_shared<FaceWeights>(grid);
  ContactFaceCounts local;
  FaceIterator(space, bc).forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) {
    if (!isTwoSided(f.kind) || f.phaseA == kNoPhase || f.phaseB == kNoPhase) return;
    const size_t p = f.phaseA, q = f.phaseB;
    if (p >= phaseK.size() || q >= phaseK.size()) return;
    double g = 0.0;
    if (p == q) {
      const double ia = ids[f.ga], ib = ids[f.gb];
      if (ia < 0.0 || ib < 0.0 || ia == ib) return;
      g = rules.grainBoundary[p];
      if (g > 0.0) ++local.grainBoundary;
    } else {
      g = rules.pair(p, q);
      if (g > 0.0) ++local.interface;
    }
    if (!(g > 0.0)) return;
    const double k = face::harmonicMean(phaseK[p], phaseK[q]);
    weights->set(f, 1.0 / (1.0 + k / (f.h * g)));
  });
  weights->exchange();
  if (counts) {
    int64_t c[2] = {local.grainBoundary, local.interface};
    MPI_Allreduce(MPI_IN_PLACE, c, 2, MPI_INT64_T, MPI_SUM, grid.comm());
    counts->grainBoundary = c[0];
    counts->interface = c[1];
  }
  return weights;
}

}  // namespace ssb
