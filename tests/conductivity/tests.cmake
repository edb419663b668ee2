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
