// The 3-D lithiation solver: PDEs, boundary conditions and units in physics/Lithiation.hpp.
#include "physics/Lithiation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "mesh/Connectivity.hpp"
#include "physics/FaceKernels.hpp"
#include "physics/LithiationCheckpoint.hpp"
#include "physics/LithiationMechanics.hpp"
#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/Plot.hpp"
#include "solver/core/SolverOptions.hpp"
#include "solver/core/TimeIntegrator.hpp"

namespace ssb {

namespace {

double allSum(MPI_Comm comm, double v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, comm);
  return v;
}
int64_t allSum(MPI_Comm comm, int64_t v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_SUM, comm);
  return v;
}

// d/da of the harmonic mean 2ab/(a+b).
double harmonicDerivative(double a, double b) {
  if (!(a > 0.0) || !(b > 0.0)) return 0.0;
  return 2.0 * b * b / ((a + b) * (a + b));
}

// Read access to the owned entries of a Vec, indexed by global row.
class OwnedRead {
 public:
  OwnedRead(Vec v, PetscInt rowStart) : m_v(v), m_start(rowStart) { SSB_PETSC(VecGetArrayRead(v, &m_a)); }
  ~OwnedRead() { VecRestoreArrayRead(m_v, &m_a); }
  OwnedRead(const OwnedRead&) = delete;
  OwnedRead& operator=(const OwnedRead&) = delete;
  double operator()(PetscInt row) const { return PetscRealPart(m_a[row - m_start]); }

 private:
  Vec m_v;
  PetscInt m_start;
  const PetscScalar* m_a = nullptr;
};

// Local-normal reacting-area weights (spec section 4): the gradient of the active-phase indicator, smoothed
// once by the 7-point average and differentiated by central differences (zero gradient across bounded
// domain faces), gives a normal per voxel; a face between a and b uses n = grad(a) + grad(b) and
// w = |n|_2 / |n|_1 = 1 / (|n_x| + |n_y| + |n_z|) for the unit normal. On a smooth surface the faces along
// axis a cover integral(|n_a| dS), so the weighted face sum is the true area. |n| ~ 0: w = 1.
std::array<std::vector<double>, 3> indicatorGradient(const StructuredGrid& grid,
                                                     const std::vector<double>& ind,
                                                     const std::array<bool, 3>& periodic) {
  const GhostBox box = ghostBoxOf(grid);
  const auto& n = grid.geometry().n;
  auto neighbourValue = [&](const std::vector<double>& ghosted, const Index3& c, int a, int s) {
    Index3 d = c;
    d[a] += s;
    const bool outside = d[a] < 0 || d[a] >= n[a];
    if (outside && !(periodic[a] && n[a] >= 2)) return ghosted[box.offset(c)];
    return ghosted[box.offset(d)];
  };
  const std::vector<double> g0 = exchangeGhosts(grid, ind);
  std::vector<double> smooth(ind.size());
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const Index3 c{i, j, k};
    double s = g0[box.offset(c)];
    for (int a = 0; a < 3; ++a) s += neighbourValue(g0, c, a, -1) + neighbourValue(g0, c, a, 1);
    smooth[static_cast<size_t>(l)] = s / 7.0;
  });
  const std::vector<double> g1 = exchangeGhosts(grid, smooth);
  std::array<std::vector<double>, 3> grad;
  for (auto& v : grad) v.assign(ind.size(), 0.0);
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const Index3 c{i, j, k};
    for (int a = 0; a < 3; ++a)
      grad[static_cast<size_t>(a)][static_cast<size_t>(l)] =
          0.5 * (neighbourValue(g1, c, a, 1) - neighbourValue(g1, c, a, -1));
  });
  std::array<std::vector<double>, 3> ghosted;
  for (int a = 0; a < 3; ++a)
    ghosted[static_cast<size_t>(a)] = exchangeGhosts(grid, grad[static_cast<size_t>(a)]);
  return ghosted;
}

}  // namespace

LithiationSolver::LithiationSolver(const StructuredGrid& grid, const std::vector<uint16_t>& labels,
                                   const PhaseMap& phases, const LithiationSetup& setup)
    : m_grid(grid), m_setup(setup) {
  const MPI_Comm comm = grid.comm();
  const VoxelGrid& geom = grid.geometry();
  const int axis = setup.collectorAxis;
  const int ccFace = faceIndex(axis, setup.collectorPlus);
  const int sepFace = faceIndex(axis, !setup.collectorPlus);
  const std::string who = fmt::format("{} (lithiation study '{}')", setup.path, setup.name);
  std::array<bool, 3> periodic{false, false, false};
  for (int a = 0; a < 3; ++a) periodic[static_cast<size_t>(a)] = setup.periodicSides && a != axis;

  const size_t nOwned = labels.size();
  std::vector<uint8_t> eMask(nOwned, 0), nMask(nOwned, 0);
  std::vector<double> nIndicator(nOwned, 0.0);
  int64_t nCount = 0, eCount = 0;
  for (size_t l = 0; l < nOwned; ++l) {
    const int p = phases.phaseOf(labels[l]);
    if (p == setup.electrolyte.phase) {
      eMask[l] = 1;
      ++eCount;
    } else if (p == setup.active.phase) {
      nMask[l] = 1;
      nIndicator[l] = 1.0;
      ++nCount;
    }
  }
  nCount = allSum(comm, nCount);
  eCount = allSum(comm, eCount);
  const std::vector<uint8_t> eConn =
      labelClusters(grid, eMask, periodic).touchingMask(faceBit(axis, !setup.collectorPlus));
  const std::vector<uint8_t> nConn =
      labelClusters(grid, nMask, periodic).touchingMask(faceBit(axis, setup.collectorPlus));
  int64_t nSolved = 0, eSolved = 0;
  std::vector<uint8_t> phase(nOwned, kInert);
  for (size_t l = 0; l < nOwned; ++l) {
    if (eConn[l]) {
      phase[l] = kElectrolyte;
      ++eSolved;
    } else if (nConn[l]) {
      phase[l] = kActive;
      ++nSolved;
    }
  }
  nSolved = allSum(comm, nSolved);
  eSolved = allSum(comm, eSolved);
  const double vVox = geom.voxelVolume();
  m_activeVolume = static_cast<double>(nCount) * vVox;
  m_solvedVolume = static_cast<double>(nSolved) * vVox;
  m_unconnectedE = eCount > 0 ? 1.0 - static_cast<double>(eSolved) / static_cast<double>(eCount) : 0.0;
  m_cellArea = geom.length((axis + 1) % 3) * geom.length((axis + 2) % 3);
  if (nCount == 0)
    throwRun("{}: the volume has no voxel of the active phase '{}'; check the labels of phases.{}", who,
             setup.active.phaseName, setup.active.phaseName);
  if (nSolved == 0)
    throwRun(
        "{}: no active ('{}') voxel has an electronic path to the current-collector face {}: nothing can be "
        "charged; check current_collector or the volume",
        who, setup.active.phaseName, faceName(ccFace));
  if (eSolved == 0)
    throwRun(
        "{}: no electrolyte ('{}') voxel has an ionic path to the separator face {} (the face opposite "
        "current_collector {}); check current_collector or the volume",
        who, setup.electrolyte.phaseName, faceName(sepFace), faceName(ccFace));

  m_space = std::make_unique<FaceSpace>(grid, phase);
  FluxBoundary bc;
  for (int a = 0; a < 3; ++a)
    for (int hi = 0; hi < 2; ++hi)
      bc.kind[static_cast<size_t>(faceIndex(a, hi != 0))] =
          a == axis ? BoundaryKind::Dirichlet
                    : (periodic[static_cast<size_t>(a)] ? BoundaryKind::Periodic : BoundaryKind::NoFlux);
  bc.placement = DirichletPlacement::Face;
  validateBoundary(bc, geom.n, who.c_str());

  // Reacting-area weights on the N|E faces (spec section 4), times the contact fraction.
  m_weights = std::make_unique<FaceWeights>(grid, 1.0);
  {
    FaceIterator plain(*m_space, bc);
    std::array<std::vector<double>, 3> grad;
    if (setup.interfaceArea != "raw") grad = indicatorGradient(grid, nIndicator, periodic);
    double raw = 0.0, corrected = 0.0;
    plain.forEachFace(FaceVisit::Once, PhaseSet{kElectrolyte, kActive}, [&](const Face& f) {
      if (!f.between(kElectrolyte, kActive)) return;
      double w = 1.0;
      if (!grad[0].empty()) {
        double n2 = 0.0, n1 = 0.0;
        for (int a = 0; a < 3; ++a) {
          const double c = grad[static_cast<size_t>(a)][f.ga] + grad[static_cast<size_t>(a)][f.gb];
          n2 += c * c;
          n1 += std::fabs(c);
        }
        if (n1 > 1e-9) w = std::sqrt(n2) / n1;
      }
      raw += f.area;
      corrected += f.area * w;
      m_weights->set(f, w * setup.contactFraction);
    });
    m_rawArea = allSum(comm, raw);
    m_corrArea = allSum(comm, corrected) * setup.contactFraction;
    if (setup.interfaceArea == "global" && m_rawArea > 0.0) {
      // One factor for every face: the local-normal estimate of the total area over the raw area.
      const double factor = m_corrArea / (m_rawArea * setup.contactFraction);
      plain.forEachFace(FaceVisit::Once, PhaseSet{kElectrolyte, kActive}, [&](const Face& f) {
        if (f.between(kElectrolyte, kActive)) m_weights->set(f, factor * setup.contactFraction);
      });
    }
  }
  m_weights->exchange();
  if (!(m_rawArea > 0.0))
    throwRun(
        "{}: the active phase '{}' connected to the collector has no face with electrolyte '{}' connected to "
        "the separator: no reaction can happen; check the phases and the volume",
        who, setup.active.phaseName, setup.electrolyte.phaseName);
  m_bc = bc;
  m_faces = std::make_unique<FaceIterator>(*m_space, bc, m_weights.get());

  std::vector<uint8_t> eField(nOwned, 0), nField(nOwned, 0);
  for (size_t l = 0; l < nOwned; ++l) {
    eField[l] = phase[l] == kElectrolyte;
    nField[l] = phase[l] == kActive;
  }
  DofMapOptions dopt;
  dopt.scalars = 1;
  dopt.who = who;
  m_dofs = std::make_unique<DofMap>(grid, std::vector<std::vector<uint8_t>>{eField, nField, nField}, dopt);

  const double h = std::cbrt(vVox);
  const double kappa = setup.electrolyte.conductivity;
  m_potScale = 1.0 / (kappa * h);
  const double d0 = setup.active.material.diffusivity.value(setup.initialX);
  const double tRef = h * h / d0;
  m_xScale = tRef / (setup.cMax() * vVox);
  const double iRef = std::max(oneCCurrent(), std::numeric_limits<double>::min());
  m_ctrlScale = (echem::kGasConstant * setup.temperature / echem::kFaraday) / iRef;
}

VecHandle LithiationSolver::initialState() const {
  VecHandle u = m_dofs->createVector();
  const size_t nOwned = static_cast<size_t>(m_grid.owned().voxels());
  const double u0 = m_setup.active.material.ocv.value(m_setup.initialX);
  m_dofs->setField(u, kPhiE, std::vector<double>(nOwned, 0.0));
  m_dofs->setField(u, kPhiS, std::vector<double>(nOwned, u0));
  m_dofs->setField(u, kX, std::vector<double>(nOwned, m_setup.initialX));
  m_dofs->setScalar(u, 0, u0);
  SSB_PETSC(VecAssemblyBegin(u));
  SSB_PETSC(VecAssemblyEnd(u));
  return u;
}

double LithiationSolver::current(Vec u) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  const double phiCc = U.scalar(0);
  const auto& sigma = m_setup.active.material.conductivity;
  double I = 0.0;
  m_faces->forEachFace(FaceVisit::PerCell, PhaseSet{kActive}, [&](const Face& f) {
    if (f.kind != FaceKind::Dirichlet ||
        f.domainFace != faceIndex(m_setup.collectorAxis, m_setup.collectorPlus))
      return;
    const double g = face::boundaryConductance(sigma.value(U.at(kX, f.ga)), f.area, f.h) * f.weight;
    I += g * (phiCc - U.at(kPhiS, f.ga));
  });
  return allSum(m_grid.comm(), I);
}

double LithiationSolver::voltage(Vec u) const {
  const double I = current(u);
  const echem::CellModel cell = m_setup.cellModel(m_cellArea);
  return cell.voltageVsLi(m_dofs->getScalar(u, 0), I);
}

double LithiationSolver::meanX(Vec u) const {
  const auto x = m_dofs->getField(u, kX, 0.0);
  double s = 0.0;
  m_faces->forEachCell(PhaseSet{kActive}, [&](const Cell& c) {
    s += x[static_cast<size_t>(m_grid.localIndex(c.c[0], c.c[1], c.c[2]))];
  });
  const double n = m_solvedVolume / m_grid.geometry().voxelVolume();
  return allSum(m_grid.comm(), s) / n;
}

std::vector<double> LithiationSolver::ownedLiFraction(Vec u) const {
  return m_dofs->getField(u, kX, m_setup.initialX);
}

void LithiationSolver::setContact(const std::vector<std::array<double, 3>>& contact) {
  const size_t nOwned = static_cast<size_t>(m_grid.owned().voxels());
  if (contact.size() != nOwned)
    throwRun("LithiationSolver::setContact: {} contact values for {} owned voxels", contact.size(), nOwned);
  if (!m_baseFaces) m_baseFaces = std::move(m_faces);
  auto weights = std::make_unique<FaceWeights>(m_grid, 1.0);
  // Once-visits reach a two-sided face from its low voxel a (side +1): the face is a's +axis face.
  m_baseFaces->forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) {
    double w = f.weight;
    if (f.between(kElectrolyte, kActive))
      w *= contact[static_cast<size_t>(m_grid.localIndex(f.a[0], f.a[1], f.a[2]))]
                  [static_cast<size_t>(f.axis)];
    if (w != 1.0) weights->set(f, w);
  });
  weights->exchange();
  m_faces = std::make_unique<FaceIterator>(*m_space, m_bc, weights.get());
  m_coupledWeights = std::move(weights);
  m_contact = contact;
}

double LithiationSolver::coverage() const {
  double s[2] = {0.0, 0.0};  // covered area (weighted by contact), NMC surface area
  (m_baseFaces ? *m_baseFaces : *m_faces).forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) {
    if (!isTwoSided(f.kind) || (f.phaseA == kActive) == (f.phaseB == kActive)) return;
    s[1] += f.area;
    if (!f.between(kElectrolyte, kActive)) return;
    // Once-visits reach a two-sided face from its low voxel a: the face is a's +axis face.
    s[0] += f.area * (m_contact.empty()
                          ? 1.0
                          : m_contact[static_cast<size_t>(m_grid.localIndex(f.a[0], f.a[1], f.a[2]))]
                                     [static_cast<size_t>(f.axis)]);
  });
  MPI_Allreduce(MPI_IN_PLACE, s, 2, MPI_DOUBLE, MPI_SUM, m_grid.comm());
  return s[1] > 0.0 ? s[0] / s[1] : 0.0;
}

double LithiationSolver::lithium(Vec u) const { return meanX(u) * m_setup.cMax() * m_solvedVolume; }

std::vector<double> LithiationSolver::sliceProfile(Vec u) const {
  const int axis = m_setup.collectorAxis;
  const int64_t n = m_grid.geometry().n[axis];
  std::vector<double> sum(static_cast<size_t>(2 * n), 0.0);
  const auto x = m_dofs->getField(u, kX, 0.0);
  m_faces->forEachCell(PhaseSet{kActive}, [&](const Cell& c) {
    // Depth index from the separator face.
    const int64_t d = m_setup.collectorPlus ? c.c[axis] : n - 1 - c.c[axis];
    sum[static_cast<size_t>(d)] += x[static_cast<size_t>(m_grid.localIndex(c.c[0], c.c[1], c.c[2]))];
    sum[static_cast<size_t>(n + d)] += 1.0;
  });
  MPI_Allreduce(MPI_IN_PLACE, sum.data(), static_cast<int>(sum.size()), MPI_DOUBLE, MPI_SUM, m_grid.comm());
  std::vector<double> p(static_cast<size_t>(n));
  for (int64_t d = 0; d < n; ++d)
    p[static_cast<size_t>(d)] = sum[static_cast<size_t>(n + d)] > 0
                                    ? sum[static_cast<size_t>(d)] / sum[static_cast<size_t>(n + d)]
                                    : std::numeric_limits<double>::quiet_NaN();
  return p;
}

double LithiationSolver::reactionCurrent(Vec u) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  const echem::InterfaceKinetics kin = m_setup.kinetics();
  double I = 0.0;
  m_faces->forEachFace(FaceVisit::Once, PhaseSet{kElectrolyte, kActive}, [&](const Face& f) {
    if (!f.between(kElectrolyte, kActive)) return;
    const size_t gn = f.phaseA == kActive ? f.ga : f.gb;
    const size_t ge = f.phaseA == kActive ? f.gb : f.ga;
    const auto fc = kin.faceCurrent(U.at(kPhiS, gn) - U.at(kPhiE, ge), U.at(kX, gn), f.h);
    I += fc.i * f.area * f.weight;
  });
  return allSum(m_grid.comm(), I);
}

std::vector<double> LithiationSolver::reactionCurrentDensity(Vec u) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  const echem::InterfaceKinetics kin = m_setup.kinetics();
  const double vVox = m_grid.geometry().voxelVolume();
  const auto& n = m_grid.owned().size;
  std::vector<double> j(static_cast<size_t>(n[0] * n[1] * n[2]), 0.0);
  // Per owned active voxel, each of its faces once: the faces of reactionCurrent, each on the rank owning
  // its active voxel.
  m_faces->forEachFace(FaceVisit::PerCell, PhaseSet{kActive}, [&](const Face& f) {
    if (!f.between(kElectrolyte, kActive)) return;
    const auto fc = kin.faceCurrent(U.at(kPhiS, f.ga) - U.at(kPhiE, f.gb), U.at(kX, f.ga), f.h);
    j[static_cast<size_t>(m_grid.localIndex(f.a[0], f.a[1], f.a[2]))] += fc.i * f.area * f.weight / vVox;
  });
  return j;
}

void LithiationSolver::residual(Vec u, Vec udot, Vec fvec) const {
  const GhostedValues U = m_dofs->ghostValues(u);
  const OwnedRead Udot(udot, m_dofs->rowStart());
  const echem::InterfaceKinetics kin = m_setup.kinetics();
  const auto& mat = m_setup.active.material;
  const double kappa = m_setup.electrolyte.conductivity;
  const double cMax = mat.cMax;
  const double vVox = m_grid.geometry().voxelVolume();
  const int ccFace = faceIndex(m_setup.collectorAxis, m_setup.collectorPlus);
  const int sepFace = faceIndex(m_setup.collectorAxis, !m_setup.collectorPlus);
  const double phiCc = U.scalar(0);
  double Ilocal = 0.0;
  PetscScalar* F = nullptr;
  SSB_PETSC(VecGetArray(fvec, &F));
  const PetscInt r0 = m_dofs->rowStart();
  std::exception_ptr err;
  try {
    m_faces->forEachCell(PhaseSet{kElectrolyte, kActive}, [&](const Cell& c) {
      if (c.phase == kElectrolyte) {
        const double pe = U.at(kPhiE, c.g);
        double r = 0.0;
        m_faces->forEachFaceOf(c, [&](const Face& f) {
          if (f.kind == FaceKind::Interior || f.kind == FaceKind::Periodic) {
            r += face::faceConductance(kappa, kappa, f.area, f.h) * (pe - U.at(kPhiE, f.gb));
          } else if (f.kind == FaceKind::Interface && f.phaseB == kActive) {
            const auto fc = kin.faceCurrent(U.at(kPhiS, f.gb) - pe, U.at(kX, f.gb), f.h);
            r -= fc.i * f.area * f.weight;
          } else if (f.kind == FaceKind::Dirichlet && f.domainFace == sepFace) {
            r += face::boundaryConductance(kappa, f.area, f.h) * pe;
          }
        });
        F[m_dofs->indexAt(kPhiE, c.g) - r0] = r * m_potScale;
        return;
      }
      const double ps = U.at(kPhiS, c.g), x = U.at(kX, c.g);
      double sa = 0, dsa = 0, da = 0, dda = 0;
      mat.conductivity.evaluate(x, sa, dsa);
      mat.diffusivity.evaluate(x, da, dda);
      double rs = 0.0, rx = 0.0;
      m_faces->forEachFaceOf(c, [&](const Face& f) {
        if ((f.kind == FaceKind::Interior || f.kind == FaceKind::Periodic) && f.phaseB == kActive) {
          const double xb = U.at(kX, f.gb);
          rs += face::faceConductance(sa, mat.conductivity.value(xb), f.area, f.h) * (ps - U.at(kPhiS, f.gb));
          rx += face::faceConductance(da, mat.diffusivity.value(xb), f.area, f.h) * cMax * (x - xb);
        } else if (f.kind == FaceKind::Interface && f.phaseB == kElectrolyte) {
          const auto fc = kin.faceCurrent(ps - U.at(kPhiE, f.gb), x, f.h);
          rs += fc.i * f.area * f.weight;
          rx += fc.i * f.area * f.weight / echem::kFaraday;
        } else if (f.kind == FaceKind::Dirichlet && f.domainFace == ccFace) {
          const double g = face::boundaryConductance(sa, f.area, f.h) * f.weight;
          rs += g * (ps - phiCc);
          Ilocal += g * (phiCc - ps);
        }
      });
      const PetscInt is = m_dofs->indexAt(kPhiS, c.g), ix = m_dofs->indexAt(kX, c.g);
      F[is - r0] = rs * m_potScale;
      F[ix - r0] = (cMax * vVox * Udot(ix) + rx) * m_xScale;
    });
  } catch (...) {
    err = std::current_exception();
  }
  rethrowCollective(m_grid.comm(), err);
  const double I = allSum(m_grid.comm(), Ilocal);
  if (m_dofs->ownsScalars()) {
    double r = 0.0;
    const echem::CellModel cell = m_setup.cellModel(m_cellArea);
    switch (m_control.kind) {
      case ControlKind::Galvanostatic:
        r = (I - m_control.current) * m_ctrlScale;
        break;
      case ControlKind::Potentiostatic:
        r = cell.voltageVsLi(phiCc, I) - m_control.voltage;
        break;
      case ControlKind::Rest:
        r = I * m_ctrlScale;
        break;
    }
    F[m_dofs->scalarIndex(0) - r0] = r;
  }
  SSB_PETSC(VecRestoreArray(fvec, &F));
}

namespace {

// One row's entries, summed into the sink at the end.
struct RowBuf {
  std::vector<PetscInt> cols;
  std::vector<PetscScalar> vals;
  void add(PetscInt c, double v) {
    cols.push_back(c);
    vals.push_back(v);
  }
  void flush(MatrixSink& sink, PetscInt row, double scale) {
    for (auto& v : vals) v *= scale;
    if (!cols.empty()) sink.add(row, static_cast<int>(cols.size()), cols.data(), vals.data());
    cols.clear();
    vals.clear();
  }
};

}  // namespace

void LithiationSolver::emitJacobian(const GhostedValues& U, double I, double shift, MatrixSink& sink) const {
  const echem::InterfaceKinetics kin = m_setup.kinetics();
  const auto& mat = m_setup.active.material;
  const double kappa = m_setup.electrolyte.conductivity;
  const double cMax = mat.cMax;
  const double vVox = m_grid.geometry().voxelVolume();
  const int ccFace = faceIndex(m_setup.collectorAxis, m_setup.collectorPlus);
  const int sepFace = faceIndex(m_setup.collectorAxis, !m_setup.collectorPlus);
  const double phiCc = U.scalar(0);
  const PetscInt rcc = m_dofs->scalarIndex(0);
  const echem::CellModel cell = m_setup.cellModel(m_cellArea);
  // d(control row)/dI and d/dphi_cc (explicit part).
  double dRdI = m_ctrlScale, dRdPhi = 0.0;
  if (m_control.kind == ControlKind::Potentiostatic) {
    dRdI = cell.dVoltagedCurrent(I);
    dRdPhi = 1.0;
  }
  {
    RowBuf row, ctrl, rowX;
    m_faces->forEachCell(PhaseSet{kElectrolyte, kActive}, [&](const Cell& c) {
      if (c.phase == kElectrolyte) {
        const PetscInt ie = m_dofs->indexAt(kPhiE, c.g);
        const double pe = U.at(kPhiE, c.g);
        m_faces->forEachFaceOf(c, [&](const Face& f) {
          if (f.kind == FaceKind::Interior || f.kind == FaceKind::Periodic) {
            const double g = face::faceConductance(kappa, kappa, f.area, f.h);
            row.add(ie, g);
            row.add(m_dofs->indexAt(kPhiE, f.gb), -g);
          } else if (f.kind == FaceKind::Interface && f.phaseB == kActive) {
            const auto fc = kin.faceCurrent(U.at(kPhiS, f.gb) - pe, U.at(kX, f.gb), f.h);
            const double aw = f.area * f.weight;
            row.add(ie, aw * fc.di_da);
            row.add(m_dofs->indexAt(kPhiS, f.gb), -aw * fc.di_da);
            row.add(m_dofs->indexAt(kX, f.gb), -aw * fc.di_dx);
          } else if (f.kind == FaceKind::Dirichlet && f.domainFace == sepFace) {
            row.add(ie, face::boundaryConductance(kappa, f.area, f.h));
          }
        });
        row.add(ie, 0.0);  // every row has its diagonal
        row.flush(sink, ie, m_potScale);
        return;
      }
      const PetscInt is = m_dofs->indexAt(kPhiS, c.g), ix = m_dofs->indexAt(kX, c.g);
      const double ps = U.at(kPhiS, c.g), x = U.at(kX, c.g);
      double sa = 0, dsa = 0, da = 0, dda = 0;
      mat.conductivity.evaluate(x, sa, dsa);
      mat.diffusivity.evaluate(x, da, dda);
      row.add(is, 0.0);
      row.add(ix, 0.0);
      rowX.add(ix, shift * cMax * vVox);
      m_faces->forEachFaceOf(c, [&](const Face& f) {
        if ((f.kind == FaceKind::Interior || f.kind == FaceKind::Periodic) && f.phaseB == kActive) {
          const double xb = U.at(kX, f.gb), psb = U.at(kPhiS, f.gb);
          const PetscInt jsb = m_dofs->indexAt(kPhiS, f.gb), jxb = m_dofs->indexAt(kX, f.gb);
          double sb = 0, dsb = 0, db = 0, ddb = 0;
          mat.conductivity.evaluate(xb, sb, dsb);
          mat.diffusivity.evaluate(xb, db, ddb);
          const double k = f.area / f.h;
          const double gs = k * face::harmonicMean(sa, sb);
          row.add(is, gs);
          row.add(jsb, -gs);
          row.add(ix, k * harmonicDerivative(sa, sb) * dsa * (ps - psb));
          row.add(jxb, k * harmonicDerivative(sb, sa) * dsb * (ps - psb));
          const double gd = k * face::harmonicMean(da, db) * cMax;
          rowX.add(ix, gd + k * harmonicDerivative(da, db) * dda * cMax * (x - xb));
          rowX.add(jxb, -gd + k * harmonicDerivative(db, da) * ddb * cMax * (x - xb));
        } else if (f.kind == FaceKind::Interface && f.phaseB == kElectrolyte) {
          const PetscInt je = m_dofs->indexAt(kPhiE, f.gb);
          const auto fc = kin.faceCurrent(ps - U.at(kPhiE, f.gb), x, f.h);
          const double aw = f.area * f.weight;
          row.add(is, aw * fc.di_da);
          row.add(je, -aw * fc.di_da);
          row.add(ix, aw * fc.di_dx);
          const double q = aw / echem::kFaraday;
          rowX.add(is, q * fc.di_da);
          rowX.add(je, -q * fc.di_da);
          rowX.add(ix, q * fc.di_dx);
        } else if (f.kind == FaceKind::Dirichlet && f.domainFace == ccFace) {
          const double k = 2.0 * f.area / f.h * f.weight;
          const double g = k * sa;
          row.add(is, g);
          row.add(rcc, -g);
          row.add(ix, k * dsa * (ps - phiCc));
          // I += g (phi_cc - ps): the control row's share of this face.
          ctrl.add(is, -dRdI * g);
          ctrl.add(ix, dRdI * k * dsa * (phiCc - ps));
          ctrl.add(rcc, dRdI * g);
        }
      });
      row.flush(sink, is, m_potScale);
      rowX.flush(sink, ix, m_xScale);
    });
    if (m_dofs->ownsScalars()) ctrl.add(rcc, dRdPhi);
    ctrl.flush(sink, rcc, 1.0);
  }
}

void LithiationSolver::jacobian(Vec u, double shift, Mat J) const {
  const double I = current(u);  // collective, before the fill
  const GhostedValues U = m_dofs->ghostValues(u);
  m_dofs->fillMatrix(J, [&](MatrixSink& sink) { emitJacobian(U, I, shift, sink); });
}

MatHandle LithiationSolver::createJacobian(Vec u) const {
  // The pattern depends neither on the control nor on the state; the values are rewritten before every use.
  const double I = current(u);
  const GhostedValues U = m_dofs->ghostValues(u);
  return m_dofs->createMatrix([&](MatrixSink& sink) { emitJacobian(U, I, 1.0, sink); });
}

LithiationRunResult LithiationSolver::run(const std::function<void(const LithiationSample&, Vec u)>& monitor,
                                          const LithiationRunHooks* hooks) {
  const MPI_Comm comm = m_grid.comm();
  const auto& ts = m_setup.timeStepping;
  ProtocolMachine machine(m_setup.protocol, oneCCurrent(), m_cellArea);
  LithiationRunResult res;
  VecHandle u = initialState();
  VecHandle r = m_dofs->createVector();
  const LithiationRunState* resume = hooks ? hooks->resume : nullptr;
  if (resume) {
    SSB_PETSC(VecCopy(hooks->resumeU, u));
    machine.restore(resume->machine);
    res = resume->result;
  }
  MatHandle J = createJacobian(u);
  if (!machine.finished()) setControl(machine.control());

  TimeIntegratorSettings st;
  st.prefix = "lithiation_";
  st.who = fmt::format("{} (lithiation study '{}')", m_setup.path, m_setup.name);
  st.linearKind = chooseSystemKind(SystemKind::CoupledPotentials, static_cast<long>(m_dofs->globalSize()),
                                   m_setup.linearSolver == "fieldsplit" ? "iterative" : m_setup.linearSolver);
  st.userOptions = m_setup.petscOptions;
  st.rtol = ts.rtol;
  st.atol = ts.atolX;
  st.initialStep = ts.initialStep;
  st.maxStep = ts.maxStep;
  st.maxSteps = static_cast<int>(std::min<long>(ts.maxSteps, 1000000000L));
  TimeIntegrator integ(
      comm, st, r, [this](double, Vec uu, Vec ud, Vec f) { residual(uu, ud, f); }, J, J,
      [this](double, Vec uu, Vec, double shift, Mat Jm, Mat) { jacobian(uu, shift, Jm); });
  // The splits of SystemKind::CoupledPotentials (ignored by any other preconditioner): the potentials phi_e
  // and phi_s together, contiguous on every rank (DofMap orders fields per rank), x, and phi_cc.
  ISHandle isPhi, isX = m_dofs->fieldIS(kX), isCc = m_dofs->scalarIS();
  SSB_PETSC(ISCreateStride(
      comm, static_cast<PetscInt>(m_dofs->fieldLocalCount(kPhiE) + m_dofs->fieldLocalCount(kPhiS)),
      m_dofs->fieldStart(kPhiE), 1, isPhi.out()));
  const std::vector<std::pair<std::string, IS>> splits = {{"phi", isPhi}, {"x", isX}, {"cc", isCc}};
  setFieldSplits(integ.ksp(), splits);

  // Cell state after every accepted step; the charge integral uses the control of the step: exact for cc
  // and rest (I is held), trapezoidal for cv (I is continuous from the cc end into the hold).
  LithiationSample last;
  bool haveLast = false;
  double charge = 0.0, throughput = 0.0, stepCharge0 = 0.0, stepThroughput0 = 0.0;
  // Checkpoint bookkeeping (physics/LithiationCheckpoint.hpp): what the solve() in progress has done so far.
  const long stepsBefore = resume ? resume->result.timeSteps : 0;
  long solveNewton = 0, solveLinear = 0;
  bool inSolve = false;
  auto solveStart = std::chrono::steady_clock::now();
  if (resume) {
    charge = resume->charge;
    throughput = resume->throughput;
    stepCharge0 = resume->stepCharge0;
    stepThroughput0 = resume->stepThroughput0;
    haveLast = !res.samples.empty();
    if (haveLast) last = res.samples.back();
  }
  auto saveCheckpoint = [&](double time, bool atStepStart, Vec uu) {
    LithiationRunState cs;
    cs.time = time;
    cs.atStepStart = atStepStart;
    cs.complete = machine.finished();
    cs.charge = charge;
    cs.throughput = throughput;
    cs.stepCharge0 = stepCharge0;
    cs.stepThroughput0 = stepThroughput0;
    cs.machine = machine.snapshot();
    cs.result.samples = res.samples;
    cs.result.timeSteps = stepsBefore + integ.totalSteps();
    cs.result.newtonIterations = res.newtonIterations + (inSolve ? solveNewton : 0);
    cs.result.linearIterations = res.linearIterations + (inSolve ? solveLinear : 0);
    PetscInt rejects = 0;
    if (inSolve) SSB_PETSC(TSGetStepRejections(integ.ts(), &rejects));
    cs.result.rejectedSteps = res.rejectedSteps + static_cast<long>(rejects);
    cs.result.seconds =
        res.seconds +
        (inSolve ? std::chrono::duration<double>(std::chrono::steady_clock::now() - solveStart).count()
                 : 0.0);
    cs.nextStep = integ.nextStep();
    hooks->write(cs, uu);
  };
  auto sampleOf = [&](double t, Vec uu) {
    LithiationSample s;
    s.t = t;
    s.current = current(uu);
    s.voltage = m_setup.cellModel(m_cellArea).voltageVsLi(m_dofs->getScalar(uu, 0), s.current);
    s.meanX = meanX(uu);
    s.profile = sliceProfile(uu);
    s.step = machine.stepIndex();
    return s;
  };
  integ.setMonitor([&](const StepInfo& info) {
    if (resume && info.step == 0) return;  // the saved state: its sample is the last one restored
    LithiationSample s = sampleOf(info.time, info.u);
    s.dt = info.stepSize;
    s.newton = info.newtonIterations;
    s.linear = info.linearIterations;
    if (haveLast && info.stepSize > 0.0) {
      double dq = 0.0, dabs = 0.0;
      switch (m_control.kind) {
        case ControlKind::Galvanostatic:
          dq = m_control.current * info.stepSize;
          dabs = std::fabs(dq);
          break;
        case ControlKind::Potentiostatic:
          dq = 0.5 * (last.current + s.current) * info.stepSize;
          dabs = 0.5 * (std::fabs(last.current) + std::fabs(s.current)) * info.stepSize;
          break;
        case ControlKind::Rest:
          break;
      }
      charge += dq;
      throughput += dabs;
    }
    s.charge = charge;
    s.throughput = throughput;
    last = s;
    haveLast = true;
    res.samples.push_back(s);
    solveNewton += s.newton;
    solveLinear += s.linear;
    if (monitor) monitor(s, info.u);
    if (hooks && hooks->write && info.step > 0 && hooks->due()) {
      // A step that ends this solve() (an event located, a deadline reached) is saved at the protocol-step
      // boundary below instead, after the machine has moved on: resuming here would locate the event again.
      TSConvergedReason reason = TS_CONVERGED_ITERATING;
      SSB_PETSC(TSGetConvergedReason(integ.ts(), &reason));
      if (reason == TS_CONVERGED_ITERATING) saveCheckpoint(info.time, false, info.u);
    }
  });

  // Consistent potentials at the start of every protocol step: the control changes the algebraic rows (the
  // potentials jump when a current is switched on or off), and an implicit integrator's error estimate
  // rejects a first step that has to make that jump. Solve the algebraic rows with x held exactly: the x
  // rows are replaced by x - x_start = 0 (identity rows, in units of x), so Li is not touched and the
  // solve is the potentials' problem alone.
  //
  // An earlier form kept the x rows of the transient residual with a large shift (udot = S (x - x_start)).
  // Those rows carry the reaction current too, scaled by the x rows' time scale: on the bench composite a
  // Butler-Volmer remainder weighed ~660 times more there than in the potential rows, so after a full
  // Newton step (which zeroes the linear control row) the norm rose, the line search cut every step to
  // lambda ~ 0.02 and the solve stalled (32^3: 50 iterations, |F| 1.28e-3 -> 9.2e-4; and a rounding floor
  // of S x ~ 1e-10 per x row put |F| above atol on large volumes).
  MatHandle Jinit = createJacobian(u);
  SSB_PETSC(MatSetOption(Jinit, MAT_KEEP_NONZERO_PATTERN, PETSC_TRUE));
  VecHandle rInit = m_dofs->createVector(), uStart = m_dofs->createVector(),
            udotZero = m_dofs->createVector();
  const ISHandle xRows = m_dofs->fieldIS(kX);
  NonlinearSolveSettings ns;
  ns.prefix = "lithiation_init_";
  ns.who = st.who + ", consistent potentials";
  ns.linearKind = st.linearKind;  // tuned from the command line only (prefix lithiation_init_)
  ns.rtol = 1e-10;
  ns.atol = 1e-10;  // rows in V (x rows: exactly 0 once x is held): far below any voltage this study reports
  ns.stol = 1e-12;
  // Near the rounding floor of the potential rows this solve ends by the step test, which needs (nearly)
  // exact Newton steps: with Krylov's default 1e-5 a solve stalled above atol for 50 iterations
  // (fieldsplit). Once per protocol step: cheap.
  ns.linearRtol = 1e-12;
  // Full (step-limited, below) Newton steps: at the rounding floor of the potential rows (|F| ~ 1e-10 with
  // highly conducting phases) a backtracking line search finds no decrease and reports a failure, while the
  // step test ends a plain Newton iteration there.
  ns.extraDefaults = {{"snes_linesearch_type", "basic"}};
  NonlinearSolve init(
      comm, ns, rInit,
      [&](Vec v, Vec f) {
        residual(v, udotZero, f);
        Vec fx = nullptr, vx = nullptr, sx = nullptr;
        SSB_PETSC(VecGetSubVector(f, xRows, &fx));
        SSB_PETSC(VecGetSubVector(v, xRows, &vx));
        SSB_PETSC(VecGetSubVector(uStart, xRows, &sx));
        SSB_PETSC(VecWAXPY(fx, -1.0, sx, vx));
        SSB_PETSC(VecRestoreSubVector(uStart, xRows, &sx));
        SSB_PETSC(VecRestoreSubVector(v, xRows, &vx));
        SSB_PETSC(VecRestoreSubVector(f, xRows, &fx));
      },
      Jinit, Jinit,
      [&](Vec v, Mat Jm, Mat) {
        jacobian(v, 0.0, Jm);
        SSB_PETSC(MatZeroRowsIS(Jm, xRows, 1.0, nullptr, nullptr));
      });
  setFieldSplits(init.ksp(), splits);
  // A full Newton step from the rest state is linear in the overpotential; where the true overpotential is
  // large (high rates, slow kinetics) it overshoots by volts into the region where the face current
  // saturates at its depletion limit (di/da = 0, a nearly singular Jacobian: steps of 1e12 V on the 2C
  // layered test cell). Bound the change of every potential per Newton step instead (the x entries of the
  // direction are round-off: x is held).
  constexpr double kMaxPotentialStep = 0.1;  // V, ~4 RT/F: the BV current changes by at most ~e^2 per step
  init.setStepLimiter([&](Vec, Vec y) {
    PetscReal m = 0;
    SSB_PETSC(VecNorm(y, NORM_INFINITY, &m));
    return m > kMaxPotentialStep ? kMaxPotentialStep / static_cast<double>(m) : 1.0;
  });
  auto makeConsistent = [&]() {
    SSB_PETSC(VecCopy(u, uStart));
    const NonlinearSolveResult nr = init.solve(u);
    res.newtonIterations += nr.iterations;
    res.linearIterations += nr.linearIterations;
    m_dofs->setField(u, kX, m_dofs->getField(uStart, kX));  // drops Krylov round-off in the x rows
    SSB_PETSC(VecAssemblyBegin(u));
    SSB_PETSC(VecAssemblyEnd(u));
  };

  auto eventFor = [&](EndReason reason, const char* name, double tol) {
    Event e;
    e.name = name;
    e.direction = EventDirection::Rising;
    e.tolerance = tol;
    e.value = [&machine, this, reason](double t, Vec uu) {
      if (machine.finished()) return -1.0;
      const double I = current(uu);
      const double V = m_setup.cellModel(m_cellArea).voltageVsLi(m_dofs->getScalar(uu, 0), I);
      for (const auto& ev : machine.events(t, V, I))
        if (ev.reason == reason) return ev.value;
      return -1.0;
    };
    e.onEvent = [](double, Vec) { return EventAction::Stop; };
    return e;
  };
  integ.addEvent(eventFor(EndReason::VoltageLimit, "voltage", 1e-7));
  integ.addEvent(eventFor(EndReason::CurrentBelowThreshold, "current", 1e-9 * oneCCurrent()));

  double t = resume ? resume->time : 0.0, stepStart = t;
  // Resumed in the middle of a protocol step: the saved state is a converged step (consistent already) and
  // the integrator continues with the saved step size; TSBDF restarts its history there (see
  // LithiationCheckpoint.hpp). Resumed at a boundary: exactly what the uninterrupted run does next.
  bool consistent = resume && !resume->atStepStart;
  if (resume && !machine.finished() && resume->nextStep > 0.0) integ.setNextStep(resume->nextStep);
  const double farFuture = 1e4 * 3600.0;  // a cc step without max_time ends at its voltage (or never)
  const bool coupled = static_cast<bool>(m_couplingUpdate);
  if (coupled) m_couplingUpdate(t, u);
  while (!machine.finished()) {
    setControl(machine.control());
    const double deadline = machine.deadline();
    const double tEnd = std::isfinite(deadline) ? deadline : stepStart + farFuture;
    // With a coupling, the step is integrated in segments of the coupling interval; the coupling updates
    // between them (contact changes make the potentials jump: the next segment starts consistent again).
    const double segEnd = coupled && m_couplingInterval > 0.0 ? std::min(tEnd, t + m_couplingInterval) : tEnd;
    TimeIntegrationResult tr;
    if (!consistent) makeConsistent();
    consistent = false;
    solveNewton = solveLinear = 0;
    solveStart = std::chrono::steady_clock::now();
    inSolve = true;
    if (segEnd > t) tr = integ.solve(u, t, segEnd);
    inSolve = false;
    res.newtonIterations += tr.newtonIterations;
    res.linearIterations += tr.linearIterations;
    res.rejectedSteps += tr.rejectedSteps;
    res.seconds += tr.seconds;
    t = tr.steps > 0 || tr.stoppedByEvent ? tr.time : segEnd;
    if (tr.reason == "CONVERGED_ITS" && !tr.stoppedByEvent && t < segEnd)
      throwRun(
          "{}: the time stepping stopped at t = {:.6g} s in step {} ({}) after time_stepping.max_steps = {} "
          "steps; raise time_stepping.max_steps",
          st.who, t, machine.stepIndex(), stepKindName(machine.step().kind), st.maxSteps);
    const double I = current(u);
    const double V = m_setup.cellModel(m_cellArea).voltageVsLi(m_dofs->getScalar(u, 0), I);
    EndReason reason = machine.endReached(t, V, I);
    if (reason == EndReason::None && !tr.stoppedByEvent && segEnd < tEnd) {
      m_couplingUpdate(t, u);
      continue;
    }
    if (reason == EndReason::None) {
      if (!tr.stoppedByEvent && !std::isfinite(deadline))
        throwRun("{}: step {} ({}) did not reach its end condition within {} h (V = {:.4f} V, I = {:.4g} A)",
                 st.who, machine.stepIndex(), stepKindName(machine.step().kind), farFuture / 3600.0, V, I);
      // An event located to its tolerance sits just before the exact crossing.
      const auto& s = machine.step();
      reason = s.kind == StepKind::ConstantCurrent ? EndReason::VoltageLimit
               : s.kind == StepKind::ConstantVoltage
                   ? (tr.stoppedByEvent ? EndReason::CurrentBelowThreshold : EndReason::TimeLimit)
                   : EndReason::Duration;
    }
    machine.advance(t, V, I, charge - stepCharge0, throughput - stepThroughput0, reason);
    stepCharge0 = charge;
    stepThroughput0 = throughput;
    stepStart = t;
    if (coupled) m_couplingUpdate(t, u);
    Log::detail("{}: step ended at t = {:.6g} s ({}), V = {:.6f} V, I = {:.6g} A", st.who, t,
                endReasonName(reason), V, I);
    if (hooks && hooks->write) saveCheckpoint(t, true, u);  // every boundary (and the end) is a restart point
  }
  res.steps = machine.history();
  res.timeSteps = stepsBefore + integ.totalSteps();
  return res;
}

double frontCrossing(const std::vector<double>& profile, double h, double xa, double xb, double level) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!(std::fabs(xb - xa) > 0.0)) return nan;
  // Progress s = (p - x_a) / (x_b - x_a) rises from 0 to 1 as a slice reacts.
  auto s = [&](size_t k) { return (profile[k] - xa) / (xb - xa) - level; };
  size_t prev = profile.size();
  for (size_t k = 0; k < profile.size(); ++k) {
    if (std::isnan(profile[k])) continue;
    if (prev < profile.size()) {
      const double s0 = s(prev), s1 = s(k);
      if ((s0 >= 0.0 && s1 < 0.0) || (s0 < 0.0 && s1 >= 0.0)) {
        const double frac = s0 / (s0 - s1);
        return (static_cast<double>(prev) + 0.5 + frac * static_cast<double>(k - prev)) * h;
      }
    }
    prev = k;
  }
  return nan;
}

}  // namespace ssb

namespace ssb {

namespace {

std::string csvNumber(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : std::string(); }
Json jsonNumber(double v) { return std::isfinite(v) ? Json(v) : Json(); }

// First time a slice's SOC reaches `soc` (linear interpolation between samples), NaN if never.
double timeToSoc(const LithiationSetup& s, const std::vector<LithiationSample>& samples, size_t slice,
                 double soc) {
  double tPrev = 0.0, socPrev = 0.0;
  bool have = false;
  for (const auto& smp : samples) {
    if (slice >= smp.profile.size() || std::isnan(smp.profile[slice]))
      return std::numeric_limits<double>::quiet_NaN();
    const double v = s.stateOfCharge(smp.profile[slice]);
    if (v >= soc) {
      if (!have) return smp.t;
      return tPrev + (soc - socPrev) / (v - socPrev) * (smp.t - tPrev);
    }
    tPrev = smp.t;
    socPrev = v;
    have = true;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

struct CycleSummary {
  double charge = 0.0, discharge = 0.0;                           // [mAh/g]
  double tEnd = 0.0;                                              // [s]
  double coverageEnd = std::numeric_limits<double>::quiet_NaN();  // [1], with mechanics
};

// <name>_cycles.png (rank 0): charge and discharge capacity per cycle and, with mechanics coupled, the NMC
// surface coverage by electrolyte at the start (cycle 0) and at the end of every cycle.
void writeCyclePlot(const std::filesystem::path& path, const std::string& name,
                    const std::vector<CycleSummary>& cycles, double coverage0) {
  PlotChart cap;
  cap.title = fmt::format("{}: capacity per cycle", name);
  cap.yLabel = "capacity [mAh/g]";
  cap.height = 420;
  cap.series = {{"charge", {}, {}}, {"discharge", {}, {}}};
  for (size_t c = 0; c < cycles.size(); ++c) {
    const double n = static_cast<double>(c + 1);
    cap.series[0].x.push_back(n);
    cap.series[0].y.push_back(cycles[c].charge);
    cap.series[1].x.push_back(n);
    cap.series[1].y.push_back(cycles[c].discharge);
  }
  const double nMax = static_cast<double>(std::max<size_t>(cycles.size(), 1));
  cap.xRange = std::make_pair(std::isnan(coverage0) ? 0.5 : -0.5, nMax + 0.5);
  std::vector<PlotChart> panels;
  if (std::isnan(coverage0)) {
    cap.xLabel = "cycle [1]";
    panels.push_back(cap);
  } else {
    PlotChart cov;
    cov.title = fmt::format("{}: NMC surface covered by electrolyte", name);
    cov.xLabel = "cycle [1] (0: before the first charge)";
    cov.yLabel = "coverage [%]";
    cov.height = 380;
    cov.xRange = cap.xRange;
    cov.series = {{"coverage", {0.0}, {100.0 * coverage0}}};
    for (size_t c = 0; c < cycles.size(); ++c) {
      cov.series[0].x.push_back(static_cast<double>(c + 1));
      cov.series[0].y.push_back(100.0 * cycles[c].coverageEnd);
    }
    panels.push_back(cap);
    panels.push_back(cov);
  }
  writePanelsPng(path, panels);
}

// The run's PNG plots (rank 0; docs/lithiation.md, Outputs): <name>_voltage.png, voltage and current over
// time with the protocol steps shaded, and <name>_front.png, the slice-averaged x over depth and time.
void writeLithiationPlots(const std::filesystem::path& dir, const std::string& name,
                          const LithiationSetup& setup, const LithiationRunResult& r, double h) {
  constexpr double hour = 3600.0, um = 1e-6;
  PlotChart v, c;
  // Current in the SI prefix that puts its largest magnitude in [1, 1000).
  double iMax = 0.0;
  for (const auto& smp : r.samples)
    if (std::isfinite(smp.current)) iMax = std::max(iMax, std::fabs(smp.current));
  static const std::array<std::pair<double, const char*>, 5> prefixes = {
      {{1.0, "A"}, {1e-3, "mA"}, {1e-6, "uA"}, {1e-9, "nA"}, {1e-12, "pA"}}};
  auto unit = prefixes.back();
  for (const auto& p : prefixes)
    if (iMax >= p.first) {
      unit = p;
      break;
    }
  v.title = fmt::format("{}: cell voltage", name);
  v.yLabel = "voltage vs Li+/Li [V]";  // the time axis is labelled once, under the current
  v.height = 470;
  c.title = fmt::format("{}: cell current (> 0 on charge)", name);
  c.xLabel = "time [h]";
  c.yLabel = fmt::format("current [{}]", unit.second);
  c.height = 340;
  v.series.push_back({"", {}, {}});
  c.series.push_back({"", {}, {}});
  for (const auto& smp : r.samples) {
    v.series[0].x.push_back(smp.t / hour);
    v.series[0].y.push_back(smp.voltage);
    c.series[0].x.push_back(smp.t / hour);
    c.series[0].y.push_back(smp.current / unit.first);
  }
  const double tEnd = r.samples.empty() ? 0.0 : r.samples.back().t;
  for (const auto& rec : r.steps) {
    // Labels only where the band is wide enough to hold one.
    const bool wide = tEnd > 0.0 && rec.tEnd - rec.tStart > 0.04 * tEnd;
    const int shade = rec.kind == StepKind::ConstantCurrent   ? 0
                      : rec.kind == StepKind::ConstantVoltage ? 1
                                                              : 3;
    std::string label = stepKindName(rec.kind);
    if (rec.kind != StepKind::Rest) std::transform(label.begin(), label.end(), label.begin(), ::toupper);
    v.bands.push_back({rec.tStart / hour, rec.tEnd / hour, wide ? label : "", shade});
  }
  c.bands = v.bands;
  v.refLines.push_back({setup.cutoffs.upper, fmt::format("cut-off {:g} V", setup.cutoffs.upper), -1});
  v.refLines.push_back({setup.cutoffs.lower, fmt::format("cut-off {:g} V", setup.cutoffs.lower), -1});
  c.refLines.push_back({0.0, "", -1});
  writePanelsPng(dir / (name + "_voltage.png"), {v, c});

  // x(depth, t): one column per accepted step (times strictly increasing), slices from the separator.
  PlotMap m;
  m.title = fmt::format("{}: slice-averaged Li fraction", name);
  m.xLabel = "time [h]";
  m.yLabel = "depth from the separator [um]";
  m.zLabel = "Li fraction x [1]";
  const size_t ny = r.samples.empty() ? 0 : r.samples.front().profile.size();
  for (size_t d = 0; d < ny; ++d) m.y.push_back((static_cast<double>(d) + 0.5) * h / um);
  for (const auto& smp : r.samples) {
    if ((!m.x.empty() && !(smp.t / hour > m.x.back())) || smp.profile.size() != ny) continue;
    m.x.push_back(smp.t / hour);
    m.z.insert(m.z.end(), smp.profile.begin(), smp.profile.end());
  }
  writeMapPng(dir / (name + "_front.png"), m);
}

}  // namespace

Json runLithiation(const StudyContext& ctx, const Params& study) {
  const StructuredGrid& grid = *ctx.volume.grid;
  const LithiationSetup setup = prepareLithiation(study, ctx.phases);
  const std::string name = ctx.studyName.empty() ? setup.name : ctx.studyName;
  const double h = grid.geometry().spacing[static_cast<size_t>(setup.collectorAxis)];
  LithiationSolver solver(grid, ctx.volume.labels, ctx.phases, setup);
  const double mass = setup.activeMass(solver.activeVolume());
  Log::info(
      "{}: {} active voxels connected to the collector ({:.2f} % of the active volume inactive), 1C = {:.4g} "
      "A, "
      "reacting area {:.4g} m^2 raw, {:.4g} m^2 corrected ({})",
      name, static_cast<int64_t>(std::llround(solver.solvedActiveVolume() / grid.geometry().voxelVolume())),
      100.0 * solver.inactiveActiveFraction(), solver.oneCCurrent(), solver.rawInterfaceArea(),
      solver.correctedInterfaceArea(), setup.interfaceArea);

  std::unique_ptr<LithiationMechanics> mech;
  if (study.has("mechanics")) {
    mech = std::make_unique<LithiationMechanics>(ctx, study, setup, solver);
    solver.setCoupling(study.real("mechanics_interval"), [&](double t, Vec u) { mech->update(t, u); });
  }

  const bool writeFields = setup.writeFields && ctx.fields != nullptr;
  // Checkpoints and --restart (physics/LithiationCheckpoint.hpp).
  LithiationCheckpoint checkpoint(
      grid, ctx.outputDir, name, lithiationFingerprint(study, ctx.phases, grid, ctx.volume.labels),
      fmt::format("{} (lithiation study '{}')", setup.path, name), setup.checkpoint);
  VecHandle resumeU = solver.dofs().createVector();
  const std::optional<LithiationRunState> resumed =
      ctx.restart && !mech ? checkpoint.read(solver.dofs(), resumeU) : std::nullopt;
  // The mechanics model's damage history is not part of a checkpoint: a coupled study neither writes nor
  // resumes one (docs/mechanics.md).
  if (mech && ctx.restart)
    Log::info("{}: --restart: a study coupled to mechanics keeps no checkpoint; starting from t = 0", name);
  LithiationRunHooks hooks;
  if (resumed) {
    hooks.resume = &*resumed;
    hooks.resumeU = resumeU;
    if (resumed->complete)
      Log::info("{}: --restart: {} holds the finished run (t = {:.6g} s); nothing to compute", name,
                checkpoint.file().string(), resumed->time);
    else
      Log::info("{}: resumed from {} at t = {:.6g} s (protocol step {} of {}, {} time steps done)", name,
                checkpoint.file().string(), resumed->time, resumed->machine.index + 1,
                setup.protocol.steps.size(), resumed->result.timeSteps);
  } else if (ctx.restart) {
    Log::info("{}: --restart: no checkpoint {}; starting from t = 0", name, checkpoint.file().string());
  }
  if (checkpoint.enabled() && !mech) {
    hooks.due = [&] { return checkpoint.due(); };
    hooks.write = [&](const LithiationRunState& st, Vec u) {
      checkpoint.write(solver.dofs(), u, st);
      Log::detail("{}: checkpoint at t = {:.6g} s ({} samples) in {:.3f} s", name, st.time,
                  st.result.samples.size(), checkpoint.lastWriteSeconds());
    };
  }
  long count = resumed ? static_cast<long>(resumed->result.samples.size()) : 0;
  // Every sample so far (with those of a resumed run): written out if the run fails.
  std::vector<LithiationSample> recorded =
      resumed ? resumed->result.samples : std::vector<LithiationSample>{};
  auto monitor = [&](const LithiationSample& s, Vec u) {
    recorded.push_back(s);
    const bool due = count % setup.progressEvery == 0;
    ++count;
    if (!due) return;
    Log::info(
        "{}: t = {:.6g} s, V = {:.4f} V, I = {:.4g} A, SOC = {:.4f}, dt = {:.3g} s, Newton {}, linear {}",
        name, s.t, s.voltage, s.current, setup.stateOfCharge(s.meanX), s.dt, s.newton, s.linear);
    if (writeFields) {
      const DofMap& d = solver.dofs();
      ctx.fields->writeAt(name, s.t, d.getField(u, LithiationSolver::kX, 0.0), name + "_x", "1");
      ctx.fields->writeAt(name, s.t, d.getField(u, LithiationSolver::kPhiE, 0.0), name + "_phi_e", "V");
      ctx.fields->writeAt(name, s.t, d.getField(u, LithiationSolver::kPhiS, 0.0), name + "_phi_s", "V");
      ctx.fields->writeAt(name, s.t, solver.reactionCurrentDensity(u), name + "_reaction_current", "A/m^3");
    }
  };
  int rank = 0;
  MPI_Comm_rank(grid.comm(), &rank);
  // The time series and the x(depth, t) map of `samples` (rank 0 only, no collective: also used after a
  // failure that may have reached one rank only). `suffix` goes before ".csv".
  auto writeSeries = [&](const std::vector<LithiationSample>& samples, const std::string& suffix) {
    // Front per protocol step (spec section 7): levels between the step's start and end mean x.
    size_t nSteps = 0;
    for (const auto& s : samples) nSteps = std::max(nSteps, s.step + 1);
    std::vector<double> pos(samples.size(), std::numeric_limits<double>::quiet_NaN()), width(pos);
    for (size_t k = 0; k < nSteps; ++k) {
      double xa = std::numeric_limits<double>::quiet_NaN(), xb = xa;
      for (const auto& s : samples)
        if (s.step == k) {
          if (std::isnan(xa)) xa = s.meanX;
          xb = s.meanX;
        }
      if (k > 0)
        for (const auto& s : samples)
          if (s.step == k - 1) xa = s.meanX;  // the start of a step is the end of the previous one
      for (size_t j = 0; j < samples.size(); ++j) {
        const auto& s = samples[j];
        if (s.step != k) continue;
        pos[j] = frontCrossing(s.profile, h, xa, xb, 0.5);
        width[j] =
            std::fabs(frontCrossing(s.profile, h, xa, xb, 0.9) - frontCrossing(s.profile, h, xa, xb, 0.1));
      }
    }
    std::ostringstream csv;
    csv << "t [s],voltage [V],current [A],capacity [mAh/g],mean x [1],front position [m],front width [m],"
           "utilisation [1],step [1]";
    if (mech) csv << ",coverage [%],debonded area fraction [1],mean gap [m],max gap [m],porosity change [1]";
    csv << '\n';
    for (size_t j = 0; j < samples.size(); ++j) {
      const auto& s = samples[j];
      const double cap = LithiationSetup::capacityMahPerG(s.charge, mass);
      const double capTh = LithiationSetup::capacityMahPerG(setup.active.theoreticalCapacity * 1.0, 1.0);
      csv << csvNumber(s.t) << ',' << csvNumber(s.voltage) << ',' << csvNumber(s.current) << ','
          << csvNumber(cap) << ',' << csvNumber(s.meanX) << ',' << csvNumber(pos[j]) << ','
          << csvNumber(width[j]) << ',' << csvNumber(cap / capTh) << ',' << s.step;
      if (mech && !mech->history().empty()) {
        const MechanicsUpdateRecord& m = mech->at(s.t);
        csv << ',' << csvNumber(100.0 * m.coverage) << ',' << csvNumber(m.debondedAreaFraction) << ','
            << csvNumber(m.meanGap) << ',' << csvNumber(m.maxGap) << ',' << csvNumber(m.gapVolumeFraction);
      } else if (mech) {
        csv << ",,,,,";
      }
      csv << '\n';
    }
    // The x(depth, t) map behind <name>_front.png: one row per recorded sample, one column per slice along
    // the transport axis (depth of the slice centre from the separator face; empty: no active voxel there).
    std::ostringstream map;
    const size_t nSlices = samples.empty() ? 0 : samples.front().profile.size();
    map << "t [s],step [1]";
    for (size_t d = 0; d < nSlices; ++d)
      map << fmt::format(",x at depth {:.6g} um [1]", (static_cast<double>(d) + 0.5) * h * 1e6);
    map << '\n';
    for (const auto& smp : samples) {
      map << csvNumber(smp.t) << ',' << smp.step;
      for (size_t d = 0; d < nSlices; ++d)
        map << ',' << (d < smp.profile.size() ? csvNumber(smp.profile[d]) : std::string());
      map << '\n';
    }
    writeFileAtomic(ctx.outputDir / (name + "_timeseries" + suffix + ".csv"), csv.str());
    writeFileAtomic(ctx.outputDir / (name + "_front" + suffix + ".csv"), map.str());
  };

  LithiationRunResult r;
  try {
    r = solver.run(monitor, &hooks);
  } catch (const std::exception& e) {
    // Keep what was computed: the samples up to the failure go to <name>_timeseries_partial.csv (a complete
    // series of an earlier run in the same folder is left as it is).
    if (rank == 0 && !recorded.empty()) {
      try {
        writeSeries(recorded, "_partial");
        Log::info("{}: the run stopped at t = {:.6g} s; the {} samples up to there are in {}", name,
                  recorded.back().t, recorded.size(),
                  (ctx.outputDir / (name + "_timeseries_partial.csv")).string());
      } catch (const std::exception& w) {
        Log::info("{}: the samples up to the failure could not be written either: {}", name, w.what());
      }
    }
    throw;
  }

  // The time series on rank 0; a failure to write it reaches every rank (the others would wait otherwise).
  std::exception_ptr csvErr;
  if (rank == 0) {
    try {
      writeSeries(r.samples, "");
    } catch (...) {
      csvErr = std::current_exception();
    }
  }
  rethrowCollective(grid.comm(), csvErr);

  Json steps = Json::array();
  double chargeThroughput = 0.0, dischargeThroughput = 0.0;
  Json cutoffTimes = Json::array();
  // Per cycle (the step list repeated `cycles` times): charge and discharge capacity, and the coverage at the
  // end of the cycle when mechanics is coupled.
  std::vector<CycleSummary> cycles;
  const int perCycle = std::max(setup.protocol.stepsPerCycle, 1);
  for (const auto& rec : r.steps) {
    const ProtocolStep& ps = setup.protocol.steps[static_cast<size_t>(rec.step)];
    const double coverageEnd = mech ? mech->at(rec.tEnd).coverage : std::numeric_limits<double>::quiet_NaN();
    Json j;
    j["index"] = rec.step;
    j["kind"] = stepKindName(rec.kind);
    j["end_reason"] = endReasonName(rec.reason);
    j["t_start"] = rec.tStart;
    j["t_end"] = rec.tEnd;
    j["duration"] = rec.tEnd - rec.tStart;
    j["charge"] = rec.charge;
    j["capacity"] = LithiationSetup::capacityMahPerG(rec.throughput, mass);
    j["voltage_end"] = rec.voltageEnd;
    j["current_end"] = rec.currentEnd;
    if (mech) j["coverage_end"] = coverageEnd;
    steps.push_back(j);
    if (rec.charge > 0.0) chargeThroughput += rec.charge;
    if (rec.charge < 0.0) dischargeThroughput -= rec.charge;
    if (rec.reason == EndReason::VoltageLimit)
      cutoffTimes.push_back({{"step", rec.step}, {"voltage", ps.untilVoltage}, {"time", rec.tEnd}});

    const size_t c = static_cast<size_t>(rec.step / perCycle);
    if (cycles.size() <= c) cycles.resize(c + 1);
    CycleSummary& cs = cycles[c];
    if (rec.charge > 0.0) cs.charge += LithiationSetup::capacityMahPerG(rec.charge, mass);
    if (rec.charge < 0.0) cs.discharge -= LithiationSetup::capacityMahPerG(rec.charge, mass);
    cs.tEnd = rec.tEnd;
    cs.coverageEnd = coverageEnd;
  }
  Json cycleJson = Json::array();
  for (size_t c = 0; c < cycles.size(); ++c) {
    Json j{{"cycle", c + 1},
           {"charge_capacity", cycles[c].charge},
           {"discharge_capacity", cycles[c].discharge},
           {"t_end", cycles[c].tEnd}};
    if (mech) j["coverage_end"] = cycles[c].coverageEnd;
    cycleJson.push_back(j);
  }
  const bool cyclePlot = setup.plots && (cycles.size() > 1 || mech);
  const double coverage0 = mech ? mech->history().front().coverage : std::numeric_limits<double>::quiet_NaN();

  // Plots on rank 0; a failure there reaches every rank.
  if (setup.plots) {
    std::exception_ptr err;
    if (rank == 0) {
      try {
        if (cyclePlot) writeCyclePlot(ctx.outputDir / (name + "_cycles.png"), name, cycles, coverage0);
        writeLithiationPlots(ctx.outputDir, name, setup, r, h);
      } catch (...) {
        err = std::current_exception();
      }
    }
    rethrowCollective(grid.comm(), err);
  }

  const std::vector<double>& firstProfile = r.samples.front().profile;
  size_t sepSlice = firstProfile.size(), ccSlice = 0;
  for (size_t d = 0; d < firstProfile.size(); ++d)
    if (!std::isnan(firstProfile[d])) {
      sepSlice = std::min(sepSlice, d);
      ccSlice = d;
    }
  const double tSep = timeToSoc(setup, r.samples, sepSlice, setup.frontSoc);
  const double tCc = timeToSoc(setup, r.samples, ccSlice, setup.frontSoc);

  Json out;
  out["steps"] = steps;
  out["cycles"] = cycleJson;
  out["time_to_cutoff"] = cutoffTimes;
  out["charge_capacity"] = LithiationSetup::capacityMahPerG(chargeThroughput, mass);
  out["discharge_capacity"] = LithiationSetup::capacityMahPerG(dischargeThroughput, mass);
  out["coulombic_efficiency"] = chargeThroughput > 0.0 && dischargeThroughput > 0.0
                                    ? Json(dischargeThroughput / chargeThroughput)
                                    : Json();
  out["active_mass"] = mass;
  out["one_c_current"] = solver.oneCCurrent();
  out["cell_area"] = solver.cellArea();
  out["inactive_active_fraction"] = solver.inactiveActiveFraction();
  out["unconnected_electrolyte_fraction"] = solver.unconnectedElectrolyteFraction();
  out["interface_area"] = {{"method", setup.interfaceArea},
                           {"raw", solver.rawInterfaceArea()},
                           {"corrected", solver.correctedInterfaceArea()},
                           {"factor", solver.correctedInterfaceArea() / solver.rawInterfaceArea()}};
  out["front"] = {{"soc", setup.frontSoc},
                  {"time_separator_side", jsonNumber(tSep)},
                  {"time_collector_side", jsonNumber(tCc)},
                  {"delay", jsonNumber(tCc - tSep)}};
  out["time_steps"] = r.timeSteps;
  out["rejected_steps"] = r.rejectedSteps;
  out["newton_iterations"] = r.newtonIterations;
  out["linear_iterations"] = r.linearIterations;
  out["final_voltage"] = r.samples.back().voltage;
  out["resumed_from_time"] = resumed ? Json(resumed->time) : Json();
  out["timeseries"] = name + "_timeseries.csv";
  out["front_map"] = name + "_front.csv";
  if (setup.plots) out["plots"] = {name + "_voltage.png", name + "_front.png"};
  if (cyclePlot) out["plots"].push_back(name + "_cycles.png");
  if (mech) {
    out["mechanics"] = mech->results();
    if (writeFields) mech->writeFields(*ctx.fields, name + "_mechanics");
  }
  out["units"] = {{"steps.t_start", "s"},
                  {"steps.t_end", "s"},
                  {"steps.duration", "s"},
                  {"steps.charge", "C"},
                  {"steps.capacity", "mAh/g"},
                  {"steps.voltage_end", "V"},
                  {"steps.current_end", "A"},
                  {"time_to_cutoff.time", "s"},
                  {"time_to_cutoff.voltage", "V"},
                  {"charge_capacity", "mAh/g"},
                  {"discharge_capacity", "mAh/g"},
                  {"coulombic_efficiency", "1"},
                  {"active_mass", "kg"},
                  {"one_c_current", "A"},
                  {"cell_area", "m^2"},
                  {"inactive_active_fraction", "1"},
                  {"unconnected_electrolyte_fraction", "1"},
                  {"interface_area.raw", "m^2"},
                  {"interface_area.corrected", "m^2"},
                  {"interface_area.factor", "1"},
                  {"front.soc", "1"},
                  {"front.time_separator_side", "s"},
                  {"front.time_collector_side", "s"},
                  {"front.delay", "s"},
                  {"final_voltage", "V"},
                  {"resumed_from_time", "s"},
                  {"steps.coverage_end", "1"},
                  {"cycles.charge_capacity", "mAh/g"},
                  {"cycles.discharge_capacity", "mAh/g"},
                  {"cycles.t_end", "s"},
                  {"cycles.coverage_end", "1"},
                  {"mechanics.interval", "s"},
                  {"mechanics.history.t", "s"},
                  {"mechanics.history.coverage", "1"},
                  {"mechanics.history.debonded_area_fraction", "1"},
                  {"mechanics.history.mean_damage", "1"},
                  {"mechanics.history.mean_gap", "m"},
                  {"mechanics.history.max_gap", "m"},
                  {"mechanics.history.porosity_change", "1"},
                  {"mechanics.coverage_initial", "1"},
                  {"mechanics.coverage_final", "1"},
                  {"mechanics.porosity_change_final", "1"}};
  return out;
}

}  // namespace ssb
