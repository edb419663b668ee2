// The `conductivity_tensor` study: the effective conductivity tensor K [S/m] of the conducting phases.
//
// PDE, for each macroscopic field direction j in {x, y, z}: phi = w - x_j (a unit potential gradient, E = e_j
// in V/m, plus a periodic fluctuation w [V]) with
//     -div(sigma grad phi) = 0   in the conducting voxels, sigma [S/m] piecewise constant per phase,
//     w periodic on all six domain faces, no flux into non-conducting voxels.
// Then K_ij = <J_i> for E = e_j, the volume-averaged current density [A/m^2] per unit field [V/m]: all nine
// components from three solves. Discretisation: physics/FluxOperator with every domain face Periodic (the
// one FV operator, harmonic face conductances g = A/h harmonic(k1, k2)). Per face between voxel a and its
// neighbour b on side s along axis a_f: flux g (phi_a - phi_b) = g (w_a - w_b + s h delta(a_f, j)), so the
// matrix is FluxOperator's and the macroscopic gradient enters as the right-hand side
//     b_a = -sum over the faces of a along j of s g h,
// and <J_i> = (1 / V) sum over the faces normal to i (each once) of g (phi_low - phi_high) h. At the exact
// solution K equals the energy form (1 / V) sum_f g dphi^(i) dphi^(j): symmetric; the computed asymmetry
// measures the solver error and is reported.
//
// Why fully periodic with a macroscopic gradient, and not Dirichlet on the two faces normal to j with
// periodic (or symmetric) sides (mixed boundaries): the periodic problem is the homogenisation cell
// problem, so a periodic medium - a laminate of any orientation - gives its exact homogenised tensor, K is
// symmetric by construction, and there are no boundary layers at the electrode faces (a Dirichlet face
// forces the potential flat and bends the current of an inclined laminate over a layer about one period
// thick, which biases the off-diagonal terms by O(period / L)). The price on a non-periodic sample (every
// image volume) is that the wrap faces join voxels of opposite faces that were never neighbours - the same
// O(1 / N) kind of edge effect, and the one PuMA's periodic option has; docs/conductivity.md compares the
// diagonal with the conductivity study's.
//
// w is defined up to one constant per connected cluster (6-connectivity, periodic on all axes): one voxel
// per cluster, the one with the smallest natural index, is held at w = 0 (its row and column replaced by
// the diagonal, MatZeroRowsColumns, which keeps the matrix symmetric positive definite). The right-hand side
// of each cluster sums to zero, so the pinned row's equation holds anyway at the solution: the pins change
// nothing but the constant. A cluster that does not wrap around the domain then carries no current, as it
// must. Conductivities are divided by the largest listed one (issue 12), K is multiplied back for output.
//
// Outputs: K (as computed and symmetrised), the asymmetry max|K_ij - K_ji| / max K_ii, the principal values
// and axes of the symmetrised K (Eigen's SelfAdjointEigenSolver, ascending), tau_k = eps sigma0 / lambda_k
// per principal direction and tau_i = eps sigma0 / K_ii per axis (eps: volume fraction of all conducting
// voxels, sigma0 as in the conductivity study: a uniform block gives K = sigma0 I, tau = 1).
#include "physics/ConductivityTensor.hpp"

#include <mpi.h>
#include <petscksp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>

#include "mesh/Connectivity.hpp"
#include "physics/FaceKernels.hpp"
#include "physics/FluxOperator.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/Log.hpp"
#include "solver/core/MpiUtil.hpp"

namespace ssb {

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void checkConductivityMap(const PhaseMap& phases, const Params& study) {
  bool conducts = false;
  for (const auto& [phase, value] : study.realMap("conductivities")) {
    phases.index(phase, study.keyPath("conductivities") + "." + phase);
    if (!std::isfinite(value))
      throwInput("{}.{}: conductivity {} is not a finite number", study.keyPath("conductivities"), phase,
                 value);
    conducts = conducts || value > 0.0;
  }
  if (!conducts)
    throwInput("{}: no phase conducts; give at least one phase a positive conductivity",
               study.keyPath("conductivities"));
}

}  // namespace

ScaledConductivities readScaledConductivities(const StudyContext& ctx, const Params& study) {
  checkConductivityMap(ctx.phases, study);
  ScaledConductivities out;
  std::vector<double> phaseSigma(static_cast<size_t>(ctx.phases.size()), 0.0);
  for (const auto& [phase, value] : study.realMap("conductivities"))
    phaseSigma[static_cast<size_t>(ctx.phases.index(phase, study.keyPath("conductivities") + "." + phase))] =
        value;
  out.sigmaRef = *std::max_element(phaseSigma.begin(), phaseSigma.end());
  const size_t nOwned = ctx.volume.labels.size();
  out.sigma.assign(nOwned, 0.0);
  out.conducting.assign(nOwned, 0);
  std::vector<int64_t> count(phaseSigma.size(), 0);
  for (size_t l = 0; l < nOwned; ++l) {
    const int p = ctx.phases.phaseOf(ctx.volume.labels[l]);
    if (p < 0 || !(phaseSigma[static_cast<size_t>(p)] > 0.0)) continue;
    out.sigma[l] = phaseSigma[static_cast<size_t>(p)] / out.sigmaRef;
    out.conducting[l] = 1;
    ++count[static_cast<size_t>(p)];
  }
  const MPI_Comm comm = ctx.volume.grid->comm();
  MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(count.size()), MPI_INT64_T, MPI_SUM, comm);
  int64_t conductingCount = 0;
  double weighted = 0.0;
  std::vector<double> distinct;
  for (size_t p = 0; p < phaseSigma.size(); ++p) {
    if (!(phaseSigma[p] > 0.0)) continue;
    conductingCount += count[p];
    weighted += static_cast<double>(count[p]) * phaseSigma[p] / out.sigmaRef;
    if (std::find(distinct.begin(), distinct.end(), phaseSigma[p]) == distinct.end())
      distinct.push_back(phaseSigma[p]);
  }
  const double total = static_cast<double>(ctx.volume.grid->geometry().voxels());
  out.eps = static_cast<double>(conductingCount) / total;
  out.meanScaled = weighted / total;
  if (study.has("bulk_conductivity")) {
    out.sigma0 = study.real("bulk_conductivity");
    out.sigma0Scaled = out.sigma0 / out.sigmaRef;
    out.sigma0Source = "bulk_conductivity (input)";
  } else if (distinct.size() == 1 || conductingCount == 0) {
    out.sigma0 = distinct.size() == 1 ? distinct[0] : out.sigmaRef;
    out.sigma0Scaled = out.sigma0 / out.sigmaRef;
    out.sigma0Source = "conductivity of the single conducting phase";
  } else {
    out.sigma0Scaled = weighted / static_cast<double>(conductingCount);
    out.sigma0 = out.sigma0Scaled * out.sigmaRef;
    out.sigma0Source = "volume-weighted mean conductivity of the conducting phases";
  }
  return out;
}

const Schema& conductivityTensorSchema() {
  static const Schema s = [] {
    Schema sc(
        "studies[] (type: conductivity_tensor)",
        "Full effective conductivity tensor K of the chosen phases from three solves with periodic "
        "boundaries on all faces and a unit macroscopic potential gradient along x, y, z: all nine "
        "components, the symmetrised tensor and its asymmetry, principal values and axes, tortuosity factor "
        "per principal direction and per axis. Results under `tensor` in results.json. See "
        "docs/conductivity.md (Conductivity tensor).");
    sc.choice("type", std::nullopt, {"conductivity_tensor"}, "Study type.");
    sc.text("name", "conductivity_tensor", "Study name (results key).");
    sc.declare("conductivities", ParamType::RealMap, std::nullopt,
               "Conductivity per phase name, e.g. {LPS: 0.3 mS/cm, NMC: 8.7e-6 mS/cm}. Phases not listed "
               "conduct nothing.")
        .withUnit("S/m")
        .range(0.0, kInf);
    sc.real("bulk_conductivity", std::nullopt, "S/m", 0.0, std::numeric_limits<double>::infinity(),
            "Reference sigma0 in the tortuosity factors. Default: the volume-weighted mean conductivity of "
            "the conducting phases (for a single conducting phase its own conductivity).",
            true)
        .optionalKey("bulk_conductivity");
    sc.real("rtol", "1e-8", "", 0.0, 0.1,
            "Relative tolerance on the true residual of each of the three CG solves. The off-diagonal terms "
            "come from volume-averaged fluxes, whose error is linear in the solver error; the reported "
            "asymmetry measures it.",
            true);
    sc.declare("petsc_options", ParamType::Any, "{}",
               "PETSc options for this study's solver without the leading dash and prefix; applied under the "
               "prefix conductivity_tensor_ (command line -conductivity_tensor_... wins). Default: CG + "
               "hypre BoomerAMG as in the conductivity study.");
    return sc;
  }();
  return s;
}

void checkConductivityTensorInputs(const PhaseMap& phases, const std::array<int64_t, 3>& n,
                                   const Params& study) {
  checkConductivityMap(phases, study);
  for (int a = 0; a < 3; ++a)
    if (n[a] < 2)
      throwInput(
          "{}: the periodic tensor solve needs at least 2 voxels along every axis (the volume has {} along "
          "{}); use the conductivity study for thinner volumes",
          study.path(), n[a], axisName(a));
  parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
}

Json runConductivityTensor(const StudyContext& ctx, const Params& study) {
  auto t0 = std::chrono::steady_clock::now();
  const StructuredGrid& grid = *ctx.volume.grid;
  const VoxelGrid& geom = grid.geometry();
  const MPI_Comm comm = grid.comm();
  const std::string name = study.text("name");
  const std::string who = fmt::format("{} (conductivity_tensor study '{}')", study.path(), name);
  checkConductivityTensorInputs(ctx.phases, geom.n, study);
  const ScaledConductivities sc = readScaledConductivities(ctx, study);
  const double rtol = study.real("rtol");
  const auto petscOptions = parsePetscOptions(study.raw("petsc_options"), study.keyPath("petsc_options"));
  ScopedPetscOptions scopedOptions;
  scopedOptions.insert("conductivity_tensor_", petscOptions);

  FluxBoundary bc;
  bc.kind.fill(BoundaryKind::Periodic);
  FluxOperator op(grid, sc.sigma, {}, bc);
  const DofMap& dofs = op.dofs();
  const FaceIterator& faces = op.faces();
  VecHandle zeroRhs = op.createVector();
  MatHandle A = op.createMatrix(zeroRhs);

  // One pin per cluster: the voxel whose natural index is the cluster's id.
  const ConnectivityResult clusters = labelClusters(grid, sc.conducting, {true, true, true});
  std::vector<PetscInt> pins;
  faces.forEachCell(PhaseSet{FluxOperator::kActive}, [&](const Cell& c) {
    const int64_t l = grid.localIndex(c.c[0], c.c[1], c.c[2]);
    if (clusters.clusterOf[static_cast<size_t>(l)] == grid.naturalIndex(c.c[0], c.c[1], c.c[2]))
      pins.push_back(dofs.indexAt(0, c.g));
  });
  {
    // The diagonal the pinned rows get: the largest one of the operator, to stay on the matrix's scale.
    VecHandle d = op.createVector();
    SSB_PETSC(MatGetDiagonal(A, d));
    PetscReal dmax = 0.0;
    SSB_PETSC(VecMax(d, nullptr, &dmax));
    SSB_PETSC(MatZeroRowsColumns(A, static_cast<PetscInt>(pins.size()), pins.data(), dmax > 0.0 ? dmax : 1.0,
                                 nullptr, nullptr));
  }
  const PetscInt rowStart = dofs.rowStart();
  const double volume = geom.length(0) * geom.length(1) * geom.length(2);

  Eigen::Matrix3d K = Eigen::Matrix3d::Zero();  // scaled: K / sigmaRef
  Json solves = Json::array();
  for (int j = 0; j < 3; ++j) {
    auto tj = std::chrono::steady_clock::now();
    VecHandle b = op.createVector();
    VecHandle x = op.createVector();
    {
      PetscScalar* ba = nullptr;
      SSB_PETSC(VecGetArray(b, &ba));
      faces.forEachCell(PhaseSet{FluxOperator::kActive}, [&](const Cell& c) {
        const PetscInt me = dofs.indexAt(0, c.g);
        double rhs = 0.0;
        faces.forEachFaceOf(c, [&](const Face& f) {
          if (f.axis != j || !isTwoSided(f.kind)) return;
          const double g =
              f.weight * face::faceConductance(op.coefficientAt(c.g), op.coefficientAt(f.gb), f.area, f.h);
          rhs -= static_cast<double>(f.side) * g * f.h;
        });
        ba[me - rowStart] = rhs;
      });
      for (PetscInt p : pins) ba[p - rowStart] = 0.0;
      SSB_PETSC(VecRestoreArray(b, &ba));
    }
    PetscReal bnorm = 0.0;
    SSB_PETSC(VecNorm(b, NORM_2, &bnorm));
    Json sj;
    sj["direction"] = axisName(j);
    if (bnorm > 0.0) {
      // A zero right-hand side (a medium uniform along j, e.g. one phase) has w = 0: nothing to solve.
      const LinearSolveResult r =
          solveLinear(A, b, x, SystemKind::SymmetricPositiveDefinite, "conductivity_tensor_", rtol,
                      who + ", field along " + axisName(j));
      sj["iterations"] = r.iterations;
      sj["relative_residual"] = r.relativeResidual;
    } else {
      sj["iterations"] = 0;
      sj["relative_residual"] = 0.0;
    }
    // Volume-averaged current density, and the dissipated power density as a check of K_jj.
    const GhostedValues U = dofs.ghostValues(x);
    std::array<double, 4> local{0.0, 0.0, 0.0, 0.0};
    faces.forEachFace(FaceVisit::Once, PhaseSet{FluxOperator::kActive}, [&](const Face& f) {
      if (!isTwoSided(f.kind)) return;
      const double g =
          f.weight * face::faceConductance(op.coefficientAt(f.ga), op.coefficientAt(f.gb), f.area, f.h);
      const double dphi = U.at(0, f.ga) - U.at(0, f.gb) + (f.axis == j ? f.h : 0.0);
      local[static_cast<size_t>(f.axis)] += g * dphi * f.h;
      local[3] += g * dphi * dphi;
    });
    MPI_Allreduce(MPI_IN_PLACE, local.data(), 4, MPI_DOUBLE, MPI_SUM, comm);
    for (int i = 0; i < 3; ++i) K(i, j) = local[static_cast<size_t>(i)] / volume;
    sj["energy_conductivity"] = local[3] / volume * sc.sigmaRef;
    sj["seconds"] = seconds(tj);
    solves.push_back(sj);
  }

  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      if (!std::isfinite(K(i, j)))
        throwRun("{}: component K_{}{} is not finite; the solve failed (check petsc_options)", who,
                 axisName(i), axisName(j));
  const Eigen::Matrix3d Ks = 0.5 * (K + K.transpose());
  const double diagMax = std::max({K(0, 0), K(1, 1), K(2, 2)});
  double asym = 0.0;
  for (int i = 0; i < 3; ++i)
    for (int j = i + 1; j < 3; ++j) asym = std::max(asym, std::abs(K(i, j) - K(j, i)));
  const double asymmetry = diagMax > 0.0 ? asym / diagMax : 0.0;

  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> es(Ks);
  if (es.info() != Eigen::Success) throwRun("{}: the eigen-decomposition of the tensor failed", who);
  const Eigen::Vector3d lambda = es.eigenvalues();
  Eigen::Matrix3d axes = es.eigenvectors();
  for (int k = 0; k < 3; ++k) {  // sign: the largest component of each axis positive (deterministic output)
    int m = 0;
    for (int i = 1; i < 3; ++i)
      if (std::abs(axes(i, k)) > std::abs(axes(m, k))) m = i;
    if (axes(m, k) < 0.0) axes.col(k) *= -1.0;
  }
  // Wiener: with the linear potential as trial function the discrete energy bounds every e^T K e by the
  // mean conductivity (each face conducts at most the arithmetic mean of its voxels). A larger principal
  // value is a failed solve.
  if (lambda(2) > sc.meanScaled * (1.0 + 1e-6))
    throwRun(
        "{}: the largest principal conductivity {:.9g} S/m exceeds the volume-averaged conductivity {:.9g} "
        "S/m, which bounds it; the linear solves did not converge (check `rtol` and `petsc_options`)",
        who, lambda(2) * sc.sigmaRef, sc.meanScaled * sc.sigmaRef);
  // A principal value within the solver's noise of zero (relative to the Wiener bound) means no current path
  // along that axis.
  auto tauOf = [&](double k) -> Json {
    if (!(k > 1e3 * std::max(rtol, 1e-12) * sc.meanScaled)) return nullptr;
    return finiteOrNull(sc.eps * sc.sigma0Scaled / k);
  };

  auto matrixJson = [&](const Eigen::Matrix3d& M) {
    Json m = Json::array();
    for (int i = 0; i < 3; ++i)
      m.push_back(Json::array({M(i, 0) * sc.sigmaRef, M(i, 1) * sc.sigmaRef, M(i, 2) * sc.sigmaRef}));
    return m;
  };
  Json out;
  out["tensor"] = matrixJson(K);
  out["tensor_symmetrised"] = matrixJson(Ks);
  out["asymmetry"] = asymmetry;
  Json principal = Json::array();
  for (int k = 0; k < 3; ++k) {
    Json p;
    p["conductivity"] = lambda(k) * sc.sigmaRef;
    p["axis"] = Json::array({axes(0, k), axes(1, k), axes(2, k)});
    p["tortuosity_factor"] = tauOf(lambda(k));
    principal.push_back(p);
  }
  out["principal"] = principal;
  Json perAxis = Json::object();
  for (int i = 0; i < 3; ++i) perAxis[axisName(i)] = tauOf(K(i, i));
  out["tortuosity_factor_axes"] = perAxis;
  out["volume_fraction"] = sc.eps;
  out["bulk_conductivity"] = sc.sigma0;
  out["bulk_conductivity_source"] = sc.sigma0Source;
  out["reference_conductivity"] = sc.sigmaRef;
  out["clusters"] = clusters.totalClusters;
  out["unknowns"] = op.unknowns();
  out["rtol"] = rtol;
  out["solves"] = solves;
  out["boundary"] =
      "periodic on all faces with a unit macroscopic potential gradient per direction (homogenisation cell "
      "problem); K_ij = volume-averaged current density along i for a unit field along j";
  out["seconds"] = seconds(t0);
  out["units"] = {{"tensor", "S/m (row i: current density along i; column j: field along j)"},
                  {"tensor_symmetrised", "S/m"},
                  {"asymmetry", "1 (max |K_ij - K_ji| / max K_ii)"},
                  {"principal.conductivity", "S/m (ascending)"},
                  {"principal.axis", "1 (unit vector in x, y, z)"},
                  {"principal.tortuosity_factor", "1 (eps * sigma0 / principal value)"},
                  {"tortuosity_factor_axes", "1 (eps * sigma0 / K_ii)"},
                  {"volume_fraction", "1"},
                  {"bulk_conductivity", "S/m"},
                  {"reference_conductivity", "S/m"},
                  {"clusters", "connected clusters of conducting voxels (periodic)"},
                  {"unknowns", "voxels solved for"},
                  {"solves.energy_conductivity", "S/m (dissipated power density for a unit field: K_jj)"},
                  {"solves.seconds", "s"},
                  {"seconds", "s"}};
  Log::info("conductivity_tensor '{}': principal conductivities {:.6g} {:.6g} {:.6g} S/m, asymmetry {:.2g}",
            name, lambda(0) * sc.sigmaRef, lambda(1) * sc.sigmaRef, lambda(2) * sc.sigmaRef, asymmetry);
  return out;
}

}  // namespace ssb
