# tests for mechanics
# Kernels (element, cracked stiffness, cohesive law), analytic verification (free swelling, constrained block,
# stack pressure, laminate, misfit sphere, cohesive pull and contact, effective moduli), rank independence and one
# test per bad-input rule.
set(MECH ${CMAKE_CURRENT_LIST_DIR})
ssb_add_gtest(NAME mech_kernels SOURCES ${MECH}/KernelsTest.cpp RANKS 1 LIBS ssb_physics TIMEOUT 60)
# ... and the coupling to lithiation (CouplingTest.cpp: contact weights, coverage, decohesion over a charge,
# convergence in the coupling interval).
ssb_add_gtest(NAME mech_verify SOURCES ${MECH}/VerifyTest.cpp ${MECH}/CouplingTest.cpp ${MECH}/SlenderTest.cpp
              RANKS 1 2 LIBS ssb_physics
              TIMEOUT 300)
ssb_add_gtest(NAME mech_bad_input SOURCES ${MECH}/BadInputTest.cpp RANKS 1 LIBS ssb_physics TIMEOUT 60)

# The example case inputs/mechanics_composite.yaml on 2 ranks, shrunk from 16^3 to 12^3 voxels (same fractions)
# to stay inside the CI budget, checked for equilibrium and bounds; one CLI bad input.
ssb_add_cli_test(NAME mech_example_np2 RANKS 2 ARGS run ${CMAKE_SOURCE_DIR}/inputs/mechanics_composite.yaml
                 --set "volume.generate.shape=[12, 12, 12]" --set volume.generate.radius=3
                 --set volume.generate.pore_radius=1.2 --set output.dir=mech_example)
set_tests_properties(mech_example_np2 PROPERTIES FIXTURES_SETUP mech_example)
ssb_add_gtest(NAME mech_example_check SOURCES ${MECH}/ExampleCheck.cpp RANKS 1 LIBS ssb_core)
set_tests_properties(mech_example_check_np1 PROPERTIES FIXTURES_REQUIRED mech_example)
ssb_add_cli_test(NAME mech_bad_poisson_cli EXIT_CODE 2 EXPECT_ERROR "studies\\[0\\]\\.poisson_ratio\\.LPS.*incompressible"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/mechanics_composite.yaml --set "studies[0].poisson_ratio={LPS: 0.5}"
                 --set output.dir=mech_bad)
# The size check's mechanics figure follows the solver the grid takes: geometric multigrid where the node grid
# coarsens (1024^3 voxels: 1025 nodes per axis), smoothed aggregation where it does not (1023^3) or where the
# user chose a preconditioner (docs/benchmarks.md, Memory estimates).
ssb_add_cli_test(NAME mech_size_estimate_multigrid RANKS 2 EXIT_CODE 2
                 EXPECT_ERROR "1024 x 1024 x 1024.*study 'charged' \\(mechanics, ~4000 B/voxel\\)"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/mechanics_composite.yaml "--set=volume.generate.shape=[1024, 1024, 1024]")
ssb_add_cli_test(NAME mech_size_estimate_aggregation RANKS 2 EXIT_CODE 2
                 EXPECT_ERROR "1023 x 1023 x 1023.*study 'charged' \\(mechanics, ~11500 B/voxel\\)"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/mechanics_composite.yaml "--set=volume.generate.shape=[1023, 1023, 1023]")
ssb_add_cli_test(NAME mech_size_estimate_user_pc RANKS 2 EXIT_CODE 2
                 EXPECT_ERROR "1024 x 1024 x 1024.*study 'charged' \\(mechanics, ~11500 B/voxel\\)"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/mechanics_composite.yaml "--set=volume.generate.shape=[1024, 1024, 1024]"
                      "--set=studies[0].petsc_options={pc_type: gamg}")
ssb_add_cli_test(NAME mech_size_estimate_user_levels RANKS 2 EXIT_CODE 2
                 EXPECT_ERROR "1024 x 1024 x 1024.*study 'charged' \\(mechanics, ~11500 B/voxel\\)"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/mechanics_composite.yaml "--set=volume.generate.shape=[1024, 1024, 1024]"
                      "--set=studies[0].petsc_options={pc_mg_levels: 4}")
# A lithiation study with a mechanics block holds both: 3000 + 4000 B/voxel (3000 without the block).
ssb_add_cli_test(NAME mech_size_estimate_coupled RANKS 2 EXIT_CODE 2
                 EXPECT_ERROR "1024 x 1024 x 1024.*study 'cycle' \\(lithiation, ~7000 B/voxel\\)"
                 ARGS run ${CMAKE_SOURCE_DIR}/inputs/lithiation_quickstart.yaml "--set=volume.generate.shape=[1024, 1024, 1024]"
                      "--set=studies[0].mechanics={}")
ssb_add_gtest(NAME mech_prepare SOURCES ${MECH}/PrepareTest.cpp RANKS 1 LIBS ssb_driver TIMEOUT 60)
