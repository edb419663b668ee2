# tests for conductivity
# Analytic verification (uniform, layers, percolation, Maxwell spheres), rank independence, tolerance, fields,
# FluxOperator and one test per bad-input rule.
ssb_add_gtest(NAME conductivity_verify SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ConductivityTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 240)

# Validation on the reference volumes of shared/data (TIFF via mesh/VolumeReader); 100^3 and smaller in CI.
# At np 2 only: the same checks at np 1 took 162 s of the CI's 15-minute budget (the longest test by far),
# and the answer's rank independence is checked by conductivity_verify / cli_results_compare.
ssb_add_gtest(NAME conductivity_reference SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ReferenceVolumeTest.cpp
              RANKS 2 LIBS ssb_physics TIMEOUT 300)

# Issue 12: tau, percolating fraction and iteration count independent of the conductivity's scale
# (1e-300 ... 1e300 S/m, and two phases with contrast 1e12); tau below its bound is a run-time error.
ssb_add_gtest(NAME conductivity_scale SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ScaleFreeTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 120)

# Effective conductivity tensor (issue 8): axis and inclined staircase laminates against their closed-form
# discrete tensors and the continuum laminate within the staircase bound, sphere lattice (cubic symmetry),
# random pack, rank independence, bad input.
ssb_add_gtest(NAME conductivity_tensor SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ConductivityTensorTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 120)

# Electrode tortuosity factor (issue 8): straight pore (tau_e = 1), 1-D transmission lines computed in the
# test, rank independence, bad input.
ssb_add_gtest(NAME electrode_tortuosity SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ElectrodeTortuosityTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 120)

# The two studies through the driver (prepare, run, results.json, console summary) on the small generated
# composite of the CLI tests, and their input errors found before the volume is loaded (exit 2).
set(SSB_COND_CASE ${CMAKE_CURRENT_SOURCE_DIR}/cli/cases/gen.yaml)
ssb_add_cli_test(NAME cli_tensor_electrode_run RANKS 2
                 ARGS run ${SSB_COND_CASE} --set output.dir=tensor_electrode_out
                      "--set=studies=[{type: conductivity_tensor, conductivities: {LPS: 1 S/m}}, {type: electrode_tortuosity, conductivities: {LPS: 1 S/m}, active_phases: [NMC], direction: z}]")
ssb_add_cli_test(NAME cli_bad_electrode_phase_both
                 EXPECT_ERROR "studies\\[0\\].active_phases: phase 'NMC' is also listed with a positive conductivity"
                 EXIT_CODE 2
                 ARGS run ${SSB_COND_CASE} --set output.dir=bad_electrode_out
                      "--set=studies=[{type: electrode_tortuosity, conductivities: {LPS: 1, NMC: 1}, active_phases: [NMC]}]")
ssb_add_cli_test(NAME cli_bad_tensor_thin_volume
                 EXPECT_ERROR "studies\\[0\\].*needs at least 2 voxels along every axis \\(the volume has 1 along z\\)"
                 EXIT_CODE 2
                 ARGS run ${SSB_COND_CASE} --set output.dir=bad_tensor_out "--set=volume.generate.shape=[1, 22, 24]"
                      "--set=studies=[{type: conductivity_tensor, conductivities: {LPS: 1}}]")

# Contact conductance (issue 9): grain boundary and interface as series resistances, G -> infinity, the
# watershed split in the study, bad input.
ssb_add_gtest(NAME conductivity_contact SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ContactConductanceTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 120)

# End layers (issue 9): the DC-polarisation cell; laminates as series chains, contact at the layers, the
# constriction of a thin channel and its convergence with the layer thickness, bad input.
ssb_add_gtest(NAME conductivity_end_layers SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/EndLayersTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 120)
