# tests for conductivity
# Analytic verification (uniform, layers, percolation, Maxwell spheres), rank independence, tolerance, fields,
# FluxOperator and one test per bad-input rule.
ssb_add_gtest(NAME conductivity_verify SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ConductivityTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 240)

# Validation on the reference volumes of shared/data (TIFF via mesh/VolumeReader); 100^3 and smaller in CI.
ssb_add_gtest(NAME conductivity_reference SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ReferenceVolumeTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 300)

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
