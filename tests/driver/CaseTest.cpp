// The driver's in-memory API: loadCase refuses every input it can judge without voxels (so nothing is read,
// computed or written), typed overrides, and runCase on the world and on sub-communicators (rank groups,
// as sweeps will use them), with results.json equal to the returned results.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <fstream>

#include "solver/core/Error.hpp"
#include "solver/core/MpiUtil.hpp"
#include "solver/core/OutputLock.hpp"
#include "solver/driver/Case.hpp"
#include "solver/driver/CaseRunner.hpp"
#include "tests/TestSupport.hpp"

namespace ssb {
namespace {

const char* kCase = R"(volume:
  generate: {kind: composite, shape: [20, 22, 24], seed: 4, radius: 4, active_fraction: 0.5, pore_fraction: 0.1, pore_radius: 2}
  voxel_size: 50 nm
phases:
  - {name: pore, label: 0, role: pore}
  - {name: LPS, label: 1, role: electrolyte}
  - {name: NMC, label: 2, role: active}
studies: []
output: {dir: unused}
)";

CaseInput input(const std::vector<std::pair<std::string, std::string>>& sets) {
  CaseInput in;
  in.text = kCase;
  in.file = "driver_case.yaml";
  for (const auto& [path, yaml] : sets) in.overrides.push_back(Override{path, YAML::Load(yaml)});
  return in;
}

std::string loadError(const std::vector<std::pair<std::string, std::string>>& sets) {
  try {
    loadCase(PETSC_COMM_WORLD, input(sets));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no input error)";
}

int worldSize() {
  int s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

TEST(LoadCase, EveryStudyInputIsCheckedBeforeLoading) {
  const std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>> cases = {
      {{{"studies", "[{type: morphology, connected_to: {NMC: q+}}]"}},
       "studies[0].connected_to.NMC: 'q+' is not a face"},
      {{{"studies", "[{type: morphology, geodesic: {phases: [NCM]}}]"}},
       "studies[0].geodesic.phases[0]: no phase named 'NCM'"},
      {{{"studies", "[{type: morphology, metrics: []}]"}}, "studies[0].metrics: the list is empty"},
      {{{"studies", "[{type: morphology, directions: [x, x]}]"}},
       "studies[0].directions: direction 'x' is listed twice"},
      {{{"studies", "[{type: morphology, coverage_phases: [NMC, NMC]}]"}},
       "studies[0].coverage_phases[1]: phase 'NMC' is listed twice"},
      {{{"studies", "[{type: morphology, pore_size_distribution: {phases: [air]}}]"}},
       "studies[0].pore_size_distribution.phases[0]: no phase named 'air'"},
      {{{"studies", "[{type: conductivity, conductivities: {LPS: 0}}]"}},
       "studies[0].conductivities: no phase conducts"},
      {{{"studies", "[{type: conductivity, conductivities: {LPS: 1}, directions: []}]"}},
       "studies[0].directions: the list is empty"},
      {{{"studies", "[{type: conductivity, conductivities: {LPS: 1}, directions: [y, y]}]"}},
       "studies[0].directions: direction 'y' is listed twice"},
      {{{"studies", "[{type: conductivity, conductivities: {LPS: 1}, petsc_options: [ksp_type]}]"}},
       "studies[0].petsc_options: expected a mapping"},
      {{{"volume.generate.shape", "[1, 22, 24]"},
        {"studies",
         "[{type: conductivity, conductivities: {LPS: 1}, directions: [z], convention: pinned_L_minus_1}]"}},
       "studies[0].convention: convention pinned_L_minus_1 pins the first and last voxel layers, so it needs "
       "at "
       "least 2 voxels along z (the volume has 1)"},
      {{{"studies", "[{type: morphology}, {type: morphology}]"}},
       "studies[1].name: study name 'morphology' is used twice"},
      {{{"studies", "[{type: morphology, name: my study}]"}},
       "studies[0].name: 'my study' cannot be used as a name"},
      {{{"phases[1].name", "L/PS"}},
       "phases[1].name: 'L/PS' cannot be used as a name (it has characters outside the rule)"},
      {{{"phases[1].name", "LPS|NMC"}}, "phases[1].name: 'LPS|NMC' cannot be used as a name"},
      {{{"phases[1].name", "''"}}, "phases[1].name: '' cannot be used as a name (it is empty)"},
      {{{"volume.voxel_size", "1e400"}}, "volume.voxel_size: value '1e400' is too large to represent"},
      {{{"volume.voxel_size", "1e-310 m"}}, "volume.voxel_size: value '1e-310 m' is too small to represent"},
      {{{"volume.generate.shape", "[4, 4]"}}, "volume.generate.shape: expected [nz, ny, nx]"},
      {{{"volume.generate", "{kind: layers, shape: [4, 4, 4], thicknesses: [1, 2], layer_labels: [0]}"}},
       "volume.generate: thicknesses and layer_labels need the same, non-zero length"},
      {{{"volume.generate.active_label", "1"}}, "volume.generate: the three labels must differ"},
      {{{"output.dir", "''"}}, "output.dir: empty"},
      {{{"phases[1].label", "0"}}, "phases[1]: label 0 is claimed by both phase 'pore' and phase 'LPS'"},
  };
  for (const auto& [sets, want] : cases) {
    const std::string got = loadError(sets);
    EXPECT_NE(got.find(want), std::string::npos) << "expected: " << want << "\n     got: " << got;
  }
}

// PETSc's 32-bit indices cannot count 1e15 voxels: refused with the count and the remedy, before any DMDA.
TEST(LoadCase, VolumesBeyondThePetscIndexRangeAreRefused) {
  const std::string m = loadError({{"volume.generate.shape", "[100000, 100000, 100000]"}});
  EXPECT_NE(m.find("volume.generate.shape: the volume has 100000 x 100000 x 100000 = 1e+15 voxels"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("a PETSc built with 64-bit indices is needed (Debian: petsc64-dev"), std::string::npos)
      << m;
}

// Overrides are YAML nodes (a number here, not a string to parse); the run happens in memory and its results
// are what results.json holds; the directory's lock is gone afterwards.
TEST(RunCase, TypedOverridesRunInMemory) {
  CaseInput in = input({});
  in.overrides.push_back(
      Override{"studies", YAML::Load("[{type: conductivity, name: ionic, conductivities: {LPS: 1}, "
                                     "directions: [x]}]")});
  in.overrides.push_back(Override{"studies[0].conductivities.LPS", YAML::Node(0.03)});
  const Case c = loadCase(PETSC_COMM_WORLD, in);
  EXPECT_EQ(c.plan.geometry.n, (std::array<int64_t, 3>{24, 22, 20}));
  const std::filesystem::path dir = "driver_np" + std::to_string(worldSize()) + "/typed";
  const CaseResult r = runCase(PETSC_COMM_WORLD, c, dir);
  EXPECT_EQ(r.exitStatus, 0);
  EXPECT_EQ(r.results["complete"], true);
  ASSERT_EQ(r.results["studies"].size(), 1u);
  const Json& x = r.results["studies"][0]["directions"]["x"];
  EXPECT_EQ(x["bulk_conductivity"].get<double>(), 0.03);
  EXPECT_GT(x["tortuosity_factor"].get<double>(), 1.0);
  EXPECT_EQ(r.results["provenance"]["mpi_ranks"], worldSize());
  MPI_Barrier(PETSC_COMM_WORLD);
  std::ifstream is(dir / "results.json");
  ASSERT_TRUE(is.good());
  const Json onDisk = Json::parse(is);
  EXPECT_EQ(onDisk["studies"], r.results["studies"]);
  EXPECT_FALSE(std::filesystem::exists(dir / OutputLock::kFileName));
}

// An output directory that cannot be created (a file is in the way) is an input error on every rank, before
// the volume is read.
TEST(RunCase, OutputDirectoryThatCannotBeCreated) {
  const std::filesystem::path base = "driver_np" + std::to_string(worldSize());
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) {
    std::filesystem::create_directories(base);
    std::ofstream(base / "a_file") << "x";
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  const Case c = loadCase(PETSC_COMM_WORLD, input({}));
  try {
    runCase(PETSC_COMM_WORLD, c, base / "a_file" / "out");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("output.dir: cannot create"), std::string::npos) << e.what();
  }
}

// Rank groups: the world split in two, each group running the same case on its own communicator into its own
// directory at the same time, gives the answer of the whole world.
TEST(RunCase, RankIndependentOnSubCommunicators) {
  SSB_REQUIRE_SEVERAL_RANKS();
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  const int color = rank % 2;
  MPI_Comm group = MPI_COMM_NULL;
  MPI_Comm_split(PETSC_COMM_WORLD, color, rank, &group);
  const std::vector<std::pair<std::string, std::string>> study = {
      {"studies", "[{type: conductivity, name: ionic, conductivities: {LPS: 1}, rtol: 1e-10}]"}};
  const std::string base = "driver_np" + std::to_string(worldSize());
  const CaseResult whole =
      runCase(PETSC_COMM_WORLD, loadCase(PETSC_COMM_WORLD, input(study)), base + "/world");
  const CaseResult part =
      runCase(group, loadCase(group, input(study)), base + "/group" + std::to_string(color));
  int groupSize = 0;
  MPI_Comm_size(group, &groupSize);
  MPI_Comm_free(&group);
  EXPECT_EQ(part.results["provenance"]["mpi_ranks"], groupSize);
  EXPECT_EQ(part.exitStatus, 0);
  for (const char* d : {"x", "y", "z"}) {
    const double a = whole.results["studies"][0]["directions"][d]["tortuosity_factor"].get<double>();
    const double b = part.results["studies"][0]["directions"][d]["tortuosity_factor"].get<double>();
    EXPECT_NEAR(a, b, 1e-8 * a) << d;
  }
}

}  // namespace
}  // namespace ssb
